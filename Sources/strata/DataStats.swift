import ArgumentParser
import CLISupport
import Data
import Foundation

/// `strata data stats`: bytes on disk per sample against the flat layout.
struct DataStats: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stats",
        abstract: "Bytes on disk per sample of binary data files, against the flat layout, and the duplication factor.",
        discussion: """
        For each file: its layout, samples N, unique user-side rows U, the duplication \
        factor N / U, its bytes per sample, the bytes per sample the same samples take \
        in the flat layout (one user-side row each), and flat / file (RecD's storage \
        saving; 1.00 for a flat file).
        """
    )

    @Argument(help: "Binary data files (as written by `strata data synth` or `convert`).")
    var files: [String]

    func validate() throws {
        if files.isEmpty { throw ValidationError("name at least one binary data file") }
    }

    func run() throws {
        print("file | layout | samples | unique user rows | duplication | bytes/sample | flat bytes/sample | flat/file")
        for f in files {
            let ds: BinaryDataset
            do { ds = try BinaryDataset(path: f) } catch { throw inputFailure(error) }
            let size = (try? FileManager.default.attributesOfItem(atPath: f)[.size] as? Int) ?? 0
            let s = ds.storageStats(fileBytes: size)
            print(String(format: "%@ | %@ | %d | %d | %.2f | %.1f | %.1f | %.2fx", f, ds.header.layout.rawValue, s.samples,
                         s.uniqueUserRows, s.duplicationFactor, s.bytesPerSample, s.flatBytesPerSample, s.storageRatio))
        }
    }
}
