import Collectives
import Foundation

/// A GEVO run folder:
///
///     config.json        the settings
///     original.ll        the kernel's IR at clang -O3 (what the edits address)
///     evaluations.jsonl  every distinct genome evaluated, in order, with its fitness
///     pareto.jsonl       one line per generation: the first front, best runtime
///     best.ll            the best valid variant (minimised edits applied)
///     summary.json       speedups on held-out inputs, the minimised edits explained
///     runtime.svg        best runtime per generation beside the original's
struct RunFolder {
    let directory: String

    init(directory: String) throws {
        self.directory = directory
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        for name in ["evaluations.jsonl", "pareto.jsonl"] {
            try Data().write(to: URL(fileURLWithPath: path(name)))
        }
    }

    func path(_ name: String) -> String { (directory as NSString).appendingPathComponent(name) }

    static func encoder(pretty: Bool) -> JSONEncoder { StrataJSON.encoder(pretty: pretty) }

    func append<T: Encodable>(_ name: String, _ value: T) throws {
        var line = try Self.encoder(pretty: false).encode(value)
        line.append(0x0A)
        let h = try FileHandle(forWritingTo: URL(fileURLWithPath: path(name)))
        defer { try? h.close() }
        try h.seekToEnd()
        try h.write(contentsOf: line)
    }

    func appendEvaluation(_ i: Individual) throws { try append("evaluations.jsonl", i) }
    func appendGeneration(_ r: GenerationRecord) throws { try append("pareto.jsonl", r) }

    func writeConfig(_ c: EvolveConfig) throws {
        try Self.encoder(pretty: true).encode(c).write(to: URL(fileURLWithPath: path("config.json")), options: .atomic)
    }

    func writeSummary(_ s: EvolveSummary) throws {
        try Self.encoder(pretty: true).encode(s).write(to: URL(fileURLWithPath: path("summary.json")), options: .atomic)
    }

    func writeText(_ name: String, _ text: String) throws {
        try text.write(toFile: path(name), atomically: true, encoding: .utf8)
    }
}

/// What a run found (summary.json), on rank 0.
public struct EvolveSummary: Codable, Sendable {
    public var kernel: KernelName
    public var measure: FitnessMeasure
    public var population: Int
    public var generations: Int
    /// Distinct genomes evaluated (the fitness cache's size).
    public var evaluations: Int
    public var ranks: Int
    public var frontSize: Int
    public var heldOutPassing: Int
    /// Variants built on rank 0 (its own evaluations, minimisation, final timing).
    public var builds = 0
    public var seconds = 0.0
    /// The best held-out-valid genome as found, and after minimisation.
    public var bestEdits: Genome = []
    public var edits: [MinimisedEdit] = []
    /// Held-out inputs, side by side: median over rounds of the minimum over repetitions, summed over seeds.
    public var originalNanoseconds = Double.nan
    public var bestNanoseconds = Double.nan
    /// Naive alignment kernel only: the hand-optimised kernel's clang -O3 build, timed beside the best variant.
    public var handOptimisedNanoseconds: Double?
    public var bestNanosecondsBesideHandOptimised: Double?

    public var speedup: Double { originalNanoseconds / bestNanoseconds }

    init(kernel: KernelName, measure: FitnessMeasure, population: Int, generations: Int, evaluations: Int, ranks: Int,
         frontSize: Int, heldOutPassing: Int) {
        self.kernel = kernel
        self.measure = measure
        self.population = population
        self.generations = generations
        self.evaluations = evaluations
        self.ranks = ranks
        self.frontSize = frontSize
        self.heldOutPassing = heldOutPassing
    }

    public var line: String {
        var s = String(format: "evolve: %@: best %.0f ns vs original %.0f ns on held-out inputs (%.3fx) after %d evaluations in %.0f s; %d edit(s) after minimisation",
                       kernel.rawValue, bestNanoseconds, originalNanoseconds, speedup, evaluations, seconds, edits.count)
        if let h = handOptimisedNanoseconds, let b = bestNanosecondsBesideHandOptimised {
            s += String(format: "; hand-optimised %.0f ns (evolved naive is %.3fx of it)", h, h / b)
        }
        return s
    }
}
