import ArgumentParser
import CLISupport
import Collectives
import Foundation
import Sweep
import Training

struct SweepCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sweep",
        abstract: "Run a scaling-law sweep: rank 0 coordinates, the other ranks train points in groups (launch with mpirun).",
        discussion: """
        Reads a sweep file (Configs/sweep-*.yaml: a base config, axes of config keys and \
        values, seeds), trains every point on a worker group of sweep.group_size ranks \
        (world size = 1 + a multiple of group_size), and writes to --out: runs.csv (one row \
        per point), runs/<point>/ (each a `strata train` run folder plus point.json), \
        fits.json (L(x) = a * x^(-b) + c per axis and for compute, with R^2, bootstrap \
        intervals and a held-out check) and plot-<axis>.svg. A point that fails is recorded \
        as failed with its error and the sweep goes on. A process that dies ends the MPI \
        job; run again with --resume to train only the points not done. --set overrides \
        a key of the base config (before the axes apply theirs). sweep.point_timeout_seconds T \
        (the watchdog; 0, the default, is off): a point not back from its group T seconds after \
        it was handed out ends the job, exit 3, naming the point and the group's ranks; a \
        coordinator (rank 0) that stops responding for T is named by a worker, exit 3.
        """
    )

    @OptionGroup var configOptions: ConfigOptions
    @OptionGroup var folder: RunFolderOptions

    @Flag(help: "Keep the points already done in --out (same config); train the rest.")
    var resume = false

    @Flag(help: "Print nothing but errors.")
    var quiet = false

    func run() throws {
        let config = try configOptions.required("the sweep file"), out = try folder.required()
        let spec: SweepSpec
        do {
            spec = try SweepLoader.load(file: config, overrides: configOptions.overrides)
            let existing = (out as NSString).appendingPathComponent("runs.csv")
            if !resume, FileManager.default.fileExists(atPath: existing) {
                throw InputError("\(out) already holds a sweep (runs.csv); pass --resume to finish it or choose another --out")
            }
        } catch {
            throw inputFailure(error)
        }
        let points = spec.points(apply: SweepLoader.applier(file: config))
        let runner = SweepRunner(spec: spec, points: points, outDirectory: out, resume: resume,
                                 progress: progressPrinter(quiet: quiet))
        let topo = spec.base.topology
        withWorld(ranksPerNode: topo.ranksPerNode, intraNodeBandwidth: topo.intraNodeGiBps * 1_073_741_824,
                  interNodeBandwidth: topo.interNodeGiBps * 1_073_741_824) { world in
            var r = runner
            if world.rank != 0 { r.progress = nil }
            try r.run(world: world)
        }
    }
}
