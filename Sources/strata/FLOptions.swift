import ArgumentParser
import CLISupport
import Collectives
import CollectivesMPI
import Foundation

/// The options `strata fl`, `strata fl fairness` and `strata fl gpo` share.
struct FLOptions: ParsableArguments {
    @OptionGroup var config: ConfigOptions
    @OptionGroup var folder: RunFolderOptions

    @Flag(help: "Print nothing but errors.")
    var quiet = false

    /// The config, or exit 2 naming what is wrong (`extra` checks what one command needs).
    func load(_ extra: (FLRunSpec) throws -> Void = { _ in }) throws -> FLRunSpec {
        try requireOutputFolder(folder.runDir, what: "the run folder")
        do {
            let spec = try FLConfigLoader.load(file: config.config, overrides: config.overrides)
            try extra(spec)
            return spec
        } catch {
            throw inputFailure(error)
        }
    }

    /// Progress lines, or none with --quiet.
    var say: (String) -> Void { progressPrinter(quiet: quiet) ?? { _ in } }

    /// The round watchdog when round_timeout_seconds is set (nil: off), its
    /// progress board in the run folder. Collective.
    func watch(_ spec: FLRunSpec, folder: String, world: MPICommunicator) throws -> PhaseWatch? {
        let watch = try PhaseWatch.start(comm: world, timeout: spec.roundTimeoutSeconds, directory: folder, unit: FLRunSpec.roundUnit)
        if let watch, world.rank == 0 { say("strata: round watchdog on: \(watch.describe)") }
        return watch
    }

    /// The run folder: --run-dir, else runs/<name>-<the time rank 0 broadcasts>.
    func runFolder(_ name: String, world: MPICommunicator) -> String {
        runFolderPath(folder.runDir, name: name, world: world)
    }
}
