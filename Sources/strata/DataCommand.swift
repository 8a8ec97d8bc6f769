import ArgumentParser
import CLISupport
import Data
import Foundation
import Training

/// `strata data`: make, convert, inspect and score data sets (Criteo conversion over MPI ranks).
struct DataCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "data",
        abstract: "Write, convert and inspect binary data files; score the popularity baseline.",
        discussion: """
        Binary files (see Sources/Data/BinaryFormat.swift) train with \
        data.source: binary, data.path: DIR/train.strata, data.eval_path: DIR/eval.strata.
        """,
        subcommands: [DataSynth.self, DataConvert.self, DataCriteoGen.self, DataStats.self, DataBaseline.self, DataProfile.self, DataTrace.self]
    )
}

extension BinaryLayout: ExpressibleByArgument, CaseIterable {
    public static let allCases: [BinaryLayout] = [.flat, .session]
}

/// Writes both splits of `source` to OUT/train.strata and OUT/eval.strata and
/// prints what to put in a config.
func writeSplits(of source: some BatchSource, to out: String, layout: BinaryLayout) throws {
    do {
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        for split in [Split.train, .eval] {
            let path = "\(out)/\(split.rawValue).strata"
            let bytes = try BinaryDataset.write(from: source, split: split, layout: layout, to: path)
            let n = source.sampleCount(split)
            print(String(format: "%@: %d samples, %d bytes (%.1f bytes/sample, %@ layout)",
                         path, n, bytes, Double(bytes) / Double(max(n, 1)), layout.rawValue))
        }
    } catch { throw inputFailure(error) }
    print("train on it with: --set data.source=binary --set data.path=\(out)/train.strata --set data.eval_path=\(out)/eval.strata")
}

/// The options of `data synth` (`data convert` has its own: its inputs may be files).
struct DataFileOptions: ParsableArguments {
    @OptionGroup var configOptions: ConfigOptions

    @Option(help: "Output folder (created if missing).")
    var out: String

    @Option(help: "User-side storage: \(BinaryLayout.allCases.map(\.rawValue).joined(separator: " or ")).")
    var layout: BinaryLayout = .session
}
