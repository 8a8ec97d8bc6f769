import Foundation
import RunKit

extension RunFolder {
    /// Drops the lines of `steps.jsonl` after step `step` (a resumed run
    /// replays them), rewriting the file atomically.
    func truncateSteps(after step: Int) throws {
        struct Line: Decodable { var step: Int }
        try rewriteLines("steps.jsonl") { line in (try? JSONDecoder().decode(Line.self, from: line)).map { $0.step <= step } ?? false }
    }
}
