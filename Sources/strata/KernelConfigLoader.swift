import CLISupport
import Collectives
import Foundation
import KernelRecommenders

/// `strata iae` and `strata distill` settings, decoded from YAML and `--set`
/// into the module's typed values (nothing below the CLI sees a string).
struct KernelRunConfig {
    var source = InteractionSource(path: "../shared/data/movielens")
    /// Fit ∞-AE on this interactions CSV's rows (a Distill-CF summary) instead of every user's train rows.
    var fitPath: String?
    var iae = InfiniteAEConfig()
    var popularity = true
    var distill = DistillConfig()
    /// The paper's hyper-parameter search (distill.search): every combination, selected on validation.
    var search = false
    var temperatures = [0.3, 0.5, 0.7, 5.0]
    var cardinalityRegs = [1e-3, 10.0]
    var drawsGrid = [200, 500, 700]
    /// iae.phase_timeout_seconds: the phase watchdog (0: off).
    var phaseTimeoutSeconds = 0.0

    /// A MovieLens folder resolves to its ratings file.
    var dataFile: String {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: source.path, isDirectory: &isDir), isDir.boolValue else { return source.path }
        for name in ["ml-latest-small-ratings.csv", "ratings.csv"] where FileManager.default.fileExists(atPath: source.path + "/" + name) {
            return source.path + "/" + name
        }
        return source.path + "/ratings.csv"
    }
}

/// `strata iae` and `strata distill` configs: YAML and `--set` decoded by
/// `KernelConfigLoader.schema` (KernelKeys.swift).
enum KernelConfigLoader {
    static func load(file: String?, overrides: [String]) throws -> KernelRunConfig {
        var config = KernelRunConfig()
        try schema.read(file: file, overrides: overrides, into: &config)
        return config
    }
}
