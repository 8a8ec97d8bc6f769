import ArgumentParser
import CLISupport
import Data
import Training

/// `strata data synth`: the config's synthetic data set as binary files.
struct DataSynth: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "synth",
        abstract: "Write the config's synthetic data (data.synthetic) as binary train/eval files.",
        discussion: """
        Generates every sample of data.synthetic (seeded: the same config gives the same \
        bytes) and writes OUT/train.strata and OUT/eval.strata. The session layout stores \
        each distinct user-side row once plus an inverse index per sample (RecD); flat \
        stores one user-side row per sample. `strata data stats` compares the two.
        """
    )

    @OptionGroup var files: DataFileOptions

    /// synth's adapter over the catalogue: it writes the synthetic kind only.
    static let dataSets = DataSetAdapter(command: "strata data synth", accepts: [.synthetic])

    func run() throws {
        let file = try files.configOptions.required("the config whose data.synthetic is written")
        let cfg = try loadConfig(file, files.configOptions.overrides)
        guard Self.dataSets.accepts.contains(cfg.data.source) else {
            throw inputFailure("\(file): data.source is '\(cfg.data.source.rawValue)'; synth writes synthetic data (use `strata data convert` for criteo or movielens)")
        }
        try writeSplits(of: SyntheticDataset(cfg.data.synthetic), to: files.out, layout: files.layout)
    }
}
