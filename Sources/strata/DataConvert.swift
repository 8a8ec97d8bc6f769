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

    @OptionGroup var files: DataFileOptions

    func run() throws {
        let cfg = try loadConfig(files.config, files.overrides)
        guard [.criteo, .movielens].contains(cfg.data.source) else {
            throw inputFailure("\(files.config): data.source is '\(cfg.data.source.rawValue)'; convert reads criteo or movielens (use `strata data synth` for synthetic)")
        }
        let loaded: LoadedData
        do { loaded = try DataSources.load(cfg.data, seed: cfg.run.seed) } catch { throw inputFailure("\(error)") }
        if loaded.badLines > 0 { print("skipped \(loaded.badLines) malformed line(s)") }
        try writeSplits(of: loaded.source, to: files.out, layout: files.layout)
    }
}
