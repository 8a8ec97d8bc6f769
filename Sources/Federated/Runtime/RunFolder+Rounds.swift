import Foundation
import RunKit

/// A federated run folder: rounds.jsonl (one RoundRecord a line, on disk as
/// each round ends), summary.json and the SVG plots. Only the server writes.
extension RunFolder {
    /// The folder with rounds.jsonl started empty.
    public static func federated(_ directory: String) throws -> RunFolder {
        let folder = try RunFolder(path: directory)
        try folder.startLines("rounds.jsonl")
        return folder
    }

    public func append(_ record: RoundRecord) throws { try appendLine("rounds.jsonl", record) }
}
