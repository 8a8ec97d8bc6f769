import Foundation
import RunKit

/// A GEVO run folder:
///
///     config.json        the settings
///     original.ll        the kernel's IR at clang -O3 (what the edits address)
///     evaluations.jsonl  every distinct genome evaluated, in order, with its fitness
///     pareto.jsonl       one line per generation: the first front, best runtime
///     best.ll            the best valid variant (minimised edits applied)
///     summary.json       speedups on held-out inputs, the minimised edits explained
///     runtime.svg        best runtime per generation beside the original's
extension RunFolder {
    /// The folder with its two JSON-lines files started empty.
    static func evolve(_ directory: String) throws -> RunFolder {
        let folder = try RunFolder(path: directory)
        for name in ["evaluations.jsonl", "pareto.jsonl"] { try folder.startLines(name) }
        return folder
    }

    func appendEvaluation(_ i: Individual) throws { try appendLine("evaluations.jsonl", i) }
    func appendGeneration(_ r: GenerationRecord) throws { try appendLine("pareto.jsonl", r) }
}
