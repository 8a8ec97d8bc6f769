import ArgumentParser
import Data
import Training

/// `strata data convert`: a Criteo or MovieLens source as binary files.
struct DataConvert: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "convert",
        abstract: "Convert the config's criteo or movielens data (data.path) to binary train/eval files.",
        discussion: """
        Reads the source as training would (data.criteo_rows_per_table, \
        data.criteo_eval_every, data.skip_bad_lines, data.movielens.*) and writes \
        OUT/train.strata and OUT/eval.strata. Training on them gives the same batches \
        as training on the source.
        """
    )

    @Option(help: "YAML config with data.source criteo or movielens and data.path.")
    var config: String

    @Option(name: .customLong("set"), help: "Override a config key, key=value (repeatable).")
    var overrides: [String] = []

    @Option(help: "Output folder (created if missing).")
    var out: String

    @Option(help: "User-side storage: \(BinaryLayout.allCases.map(\.rawValue).joined(separator: " or ")).")
    var layout: BinaryLayout = .session

    func run() throws {
        let cfg = try loadConfig(config, overrides)
        guard ["criteo", "movielens"].contains(cfg.data.source) else {
            throw inputFailure("\(config): data.source is '\(cfg.data.source)'; convert reads criteo or movielens (use `strata data synth` for synthetic)")
        }
        let loaded: LoadedData
        do { loaded = try DataSources.load(cfg.data, seed: cfg.run.seed) } catch { throw inputFailure("\(error)") }
        if loaded.badLines > 0 { print("skipped \(loaded.badLines) malformed line(s)") }
        try writeSplits(of: loaded.source, to: out, layout: layout)
    }
}
