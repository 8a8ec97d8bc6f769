import Foundation

/// What a variant is scored by.
public enum FitnessMeasure: String, Codable, Sendable, CaseIterable {
    /// Minimum nanoseconds of one kernel call over the repetitions, summed over the input seeds.
    case runtime
    /// Machine instructions in llc's assembly of the kernel: a deterministic
    /// stand-in for runtime, so a seeded run repeats exactly (the repeat tests).
    case staticInstructions = "static_instructions"
}

/// The fitness of one genome: NSGA-II minimises (runtime, error) over valid variants.
public struct Fitness: Codable, Sendable, Equatable {
    public var valid: Bool
    /// Nanoseconds (or instructions with `.staticInstructions`); infinity when invalid.
    public var runtime: Double
    /// The largest |out - golden| over all outputs, divided by the largest |golden|.
    public var error: Double
    /// Why the variant is invalid: verifier, compile, crash, timeout, error.
    public var reason: String?
    /// Edits that applied (the rest were skipped as not fitting this variant).
    public var applied: Int

    public init(valid: Bool, runtime: Double, error: Double, reason: String?, applied: Int) {
        self.valid = valid
        self.runtime = runtime
        self.error = error
        self.reason = reason
        self.applied = applied
    }

    public static func invalid(_ reason: String, applied: Int) -> Fitness {
        Fitness(valid: false, runtime: .infinity, error: .infinity, reason: reason, applied: applied)
    }

    /// The pair NSGA-II minimises.
    public var objectives: (Double, Double) { valid ? (runtime, error) : (.infinity, .infinity) }
}

/// How variants are built, run and checked.
public struct EvaluationSettings: Codable, Sendable, Equatable {
    public var kernel: KernelName
    public var measure: FitnessMeasure
    /// Relative error a variant may have on the training inputs (1 %).
    public var tolerance: Double
    /// The stricter tolerance on held-out inputs (exact for integer outputs).
    public var heldOutTolerance: Double
    /// Wall-clock limit of one variant run, in seconds.
    public var timeout: Double
    /// Timed calls per run (the minimum is kept).
    public var repetitions: Int
    public var trainSeeds: [UInt64]
    public var heldOutSeeds: [UInt64]

    public init(kernel: KernelName, measure: FitnessMeasure = .runtime, tolerance: Double = 0.01,
                heldOutTolerance: Double = 0.001, timeout: Double = 2, repetitions: Int = 10,
                trainSeeds: [UInt64] = [1], heldOutSeeds: [UInt64] = [1001, 1002]) {
        self.kernel = kernel
        self.measure = measure
        self.tolerance = tolerance
        self.heldOutTolerance = heldOutTolerance
        self.timeout = timeout
        self.repetitions = repetitions
        self.trainSeeds = trainSeeds
        self.heldOutSeeds = heldOutSeeds
    }
}

/// One rank's kernel workspace: the C files compiled once (the original's
/// IR at -O3, the harness object, the golden outputs from the original), then
/// any number of variants built and run in a scratch folder.
///
/// Pipeline (LLVM 14): `clang -O3 -emit-llvm` gives the original IR the
/// edits apply to; a variant is checked by `opt -passes=verify`, compiled by
/// `llc -O3` (the back end only, so the edits are not undone by re-running the
/// optimiser), linked with the harness (`clang -O2`), and run under a time
/// limit. The original through the same `llc -O3` is exactly clang -O3's code:
/// the baseline every speedup is measured against.
public final class KernelWorkspace {
    public let settings: EvaluationSettings
    public let toolchain: Toolchain
    public let directory: String
    public let original: IRFunction
    public let originalModule: String
    /// Golden outputs per seed (training and held-out), from the original.
    public private(set) var golden: [UInt64: [Float]] = [:]
    /// The original's build and its first timing per seed: a runtime fitness is
    /// the variant's time over the original's timed beside it, times this.
    private(set) var originalExecutable = ""
    private(set) var referenceNanoseconds: [UInt64: Double] = [:]
    var builds = 0

    public init(settings: EvaluationSettings, toolchain: Toolchain, directory: String) throws {
        self.settings = settings
        self.toolchain = toolchain
        // Absolute: the tools and variants run with this folder as their working directory.
        self.directory = URL(fileURLWithPath: directory).standardizedFileURL.path
        try toolchain.check()
        let dir = self.directory
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let src = settings.kernel.source
        try src.kernel.write(toFile: dir + "/kernel.c", atomically: true, encoding: .utf8)
        try (Harness.common + src.harness).write(toFile: dir + "/harness.c", atomically: true, encoding: .utf8)
        try Self.must(toolchain.clang, ["-O3", "-S", "-emit-llvm", "-fno-discard-value-names", "kernel.c", "-o", "original.ll"], in: dir)
        try Self.must(toolchain.clang, ["-O2", "-c", "harness.c", "-o", "harness.o"], in: dir)
        originalModule = try String(contentsOfFile: dir + "/original.ll", encoding: .utf8)
        original = try IRFunction(module: originalModule, function: "kernel")
        // The golden outputs: the original IR, unparsed, through the variant pipeline.
        let exe = try build(module: originalModule, name: "original").get()
        originalExecutable = exe.path
        for seed in settings.trainSeeds + settings.heldOutSeeds {
            switch run(executable: exe.path, seed: seed) {
            case .success(let r):
                golden[seed] = r.outputs
                referenceNanoseconds[seed] = r.nanoseconds
            case .failure(let e): throw EvolveError("the original \(settings.kernel.rawValue) failed on seed \(seed): \(e.description)")
            }
        }
    }

    static func must(_ tool: String, _ args: [String], in dir: String) throws {
        let r = try Subprocess.run(tool, args, in: dir, timeout: 120)
        guard r.ok else { throw EvolveError("\(tool) \(args.joined(separator: " ")) failed: \(r.stderr.prefix(600))") }
    }

    public struct Built {
        public var path: String
        /// Instructions in the kernel's assembly (counted when the measure asks for it).
        public var staticInstructions: Int?
    }

    /// Verify, compile and link a module; the failure says which step.
    public func build(module: String, name: String) -> Result<Built, EvolveError> {
        builds += 1
        let ll = "\(name).ll", exe = "\(name).exe"
        do {
            try module.write(toFile: directory + "/" + ll, atomically: true, encoding: .utf8)
            let verify = try Subprocess.run(toolchain.opt, ["-passes=verify", "-disable-output", ll], in: directory, timeout: 30)
            guard verify.ok else { return .failure(EvolveError("verifier: " + firstLine(verify.stderr))) }
            let asm = settings.measure == .staticInstructions
            let object = asm ? "\(name).s" : "\(name).o"
            let llc = try Subprocess.run(toolchain.llc, ["-O3", "--relocation-model=pic", "-filetype=\(asm ? "asm" : "obj")", ll, "-o", object],
                                         in: directory, timeout: 60)
            guard llc.ok else { return .failure(EvolveError("llc: " + firstLine(llc.stderr))) }
            let link = try Subprocess.run(toolchain.clang, [object, "harness.o", "-o", exe, "-lm"], in: directory, timeout: 60)
            guard link.ok else { return .failure(EvolveError("link: " + firstLine(link.stderr))) }
            var count: Int?
            if asm { count = Self.countInstructions(try String(contentsOfFile: directory + "/" + object, encoding: .utf8)) }
            return .success(Built(path: directory + "/" + exe, staticInstructions: count))
        } catch {
            return .failure(EvolveError("build: \(error)"))
        }
    }

    /// Whether the verifier accepts a module (the check a new edit must pass).
    public func verifies(module: String) -> Bool {
        guard (try? module.write(toFile: directory + "/check.ll", atomically: true, encoding: .utf8)) != nil,
              let r = try? Subprocess.run(toolchain.opt, ["-passes=verify", "-disable-output", "check.ll"], in: directory, timeout: 30)
        else { return false }
        return r.ok
    }

    /// Instruction lines of the kernel in an assembly listing: tab-indented, not a directive.
    static func countInstructions(_ asm: String) -> Int {
        var n = 0
        var inKernel = false
        for line in asm.split(separator: "\n") {
            if line.hasPrefix("kernel:") { inKernel = true; continue }
            if inKernel, line.hasPrefix("\t.cfi_endproc") || line.hasPrefix(".Lfunc_end") { break }
            if inKernel, line.hasPrefix("\t"), !line.hasPrefix("\t.") { n += 1 }
        }
        return n
    }

    public struct RunResult {
        public var outputs: [Float]
        public var nanoseconds: Double
    }

    /// One run of a built variant on one seed.
    public func run(executable: String, seed: UInt64, repetitions: Int? = nil) -> Result<RunResult, EvolveError> {
        let out = directory + "/out.bin"
        try? FileManager.default.removeItem(atPath: out)
        let r: Subprocess.Result
        do {
            // The limit is on CPU seconds (the harness sets RLIMIT_CPU), so whether
            // a slow variant is cut does not depend on the machine's load; the
            // wall-clock limit, ten times longer, is only a backstop.
            let cpu = max(1, Int(settings.timeout.rounded(.up)))
            r = try Subprocess.run(executable, ["\(seed)", "\(repetitions ?? settings.repetitions)", out, "\(cpu)"],
                                   in: directory, timeout: 10 * settings.timeout + 5)
        } catch {
            return .failure(EvolveError("run: \(error)"))
        }
        switch r.outcome {
        case .timedOut: return .failure(EvolveError("timeout after \(10 * settings.timeout + 5) s of wall clock"))
        case .signalled(let s) where s == SIGXCPU || s == SIGKILL:
            return .failure(EvolveError("timeout after \(Int(settings.timeout.rounded(.up))) s of CPU"))
        case .signalled(let s): return .failure(EvolveError("crashed (signal \(s))"))
        case .exited(66): return .failure(EvolveError("outputs change from call to call: \(firstLine(r.stderr))"))
        case .exited(let c) where c != 0: return .failure(EvolveError("exit status \(c)"))
        default: break
        }
        guard let ns = Double(r.stdout.trimmingSpaces.split(separator: "\n").last.map(String.init) ?? ""),
              let data = FileManager.default.contents(atPath: out) else {
            return .failure(EvolveError("no outputs"))
        }
        let floats = data.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
        return .success(RunResult(outputs: floats, nanoseconds: ns))
    }

    /// Relative error of `outputs` against the golden ones (infinity on a size mismatch or a non-finite value).
    public static func relativeError(_ outputs: [Float], golden: [Float]) -> Double {
        guard outputs.count == golden.count else { return .infinity }
        var scale = 0.0, worst = 0.0
        for g in golden { scale = max(scale, abs(Double(g))) }
        for (o, g) in zip(outputs, golden) {
            guard o.isFinite else { return .infinity }
            worst = max(worst, abs(Double(o) - Double(g)))
        }
        return scale > 0 ? worst / scale : worst
    }

    /// The variant of `edits` (and how many applied).
    public func variant(_ edits: [Edit]) -> (IRFunction, Int) {
        var f = original
        let applied = f.apply(edits).filter { $0 == .applied }.count
        return (f, applied)
    }

    /// Builds, runs and checks a genome on `seeds` against `tolerance`.
    public func evaluate(_ edits: [Edit], seeds: [UInt64]? = nil, tolerance: Double? = nil,
                         repetitions: Int? = nil) -> Fitness {
        let (f, applied) = variant(edits)
        return evaluate(module: f.moduleText, applied: applied, seeds: seeds,
                        tolerance: tolerance, repetitions: repetitions)
    }

    public func evaluate(module: String, applied: Int, seeds: [UInt64]? = nil, tolerance: Double? = nil,
                         repetitions: Int? = nil) -> Fitness {
        let built: Built
        switch build(module: module, name: "variant") {
        case .success(let b): built = b
        case .failure(let e): return .invalid(e.description, applied: applied)
        }
        var total = 0.0, worst = 0.0
        for seed in seeds ?? settings.trainSeeds {
            switch run(executable: built.path, seed: seed, repetitions: repetitions) {
            case .failure(let e): return .invalid(e.description, applied: applied)
            case .success(let r):
                let err = Self.relativeError(r.outputs, golden: golden[seed] ?? [])
                worst = max(worst, err)
                total += settings.measure == .runtime
                    ? besideOriginal(built.path, first: r.nanoseconds, seed: seed, repetitions: repetitions) : r.nanoseconds
            }
        }
        let tol = tolerance ?? settings.tolerance
        guard worst <= tol else {
            return Fitness(valid: false, runtime: .infinity, error: worst,
                           reason: String(format: "error %.3g over tolerance %.3g", worst, tol), applied: applied)
        }
        let runtime = settings.measure == .staticInstructions ? Double(built.staticInstructions ?? 0) : total
        return Fitness(valid: true, runtime: runtime, error: worst, reason: nil, applied: applied)
    }

    /// The variant's time scaled by the machine's drift: the original and the
    /// variant are run alternately (three runs each, the variant's first run
    /// included) and the variant's minimum is multiplied by the original's
    /// first timing over its minimum now. A shared, loaded machine moves every
    /// timing by tens of per cent over a run, and a search that compares raw
    /// single timings selects lucky measurements.
    func besideOriginal(_ variant: String, first: Double, seed: UInt64, repetitions: Int?) -> Double {
        guard let reference = referenceNanoseconds[seed] else { return first }
        var v = first, o = Double.infinity
        for round in 0..<3 {
            if case .success(let r) = run(executable: originalExecutable, seed: seed, repetitions: repetitions) { o = min(o, r.nanoseconds) }
            if round < 2, case .success(let r) = run(executable: variant, seed: seed, repetitions: repetitions) { v = min(v, r.nanoseconds) }
        }
        return o.isFinite && o > 0 ? v * reference / o : v
    }

    /// Times two builds side by side, alternating, on the held-out seeds: the
    /// median over `rounds` of each one's minimum over repetitions.
    public func compare(_ a: String, _ b: String, rounds: Int, repetitions: Int) -> (Double, Double) {
        var ta: [Double] = [], tb: [Double] = []
        for _ in 0..<rounds {
            for (exe, into) in [(a, 0), (b, 1)] {
                var sum = 0.0
                for seed in settings.heldOutSeeds {
                    if case .success(let r) = run(executable: exe, seed: seed, repetitions: repetitions) { sum += r.nanoseconds } else { sum = .infinity }
                }
                if into == 0 { ta.append(sum) } else { tb.append(sum) }
            }
        }
        func median(_ x: [Double]) -> Double { let s = x.sorted(); return s.isEmpty ? .nan : s[s.count / 2] }
        return (median(ta), median(tb))
    }
}

func firstLine(_ s: String) -> String {
    String(s.split(separator: "\n").first { !String($0).trimmingSpaces.isEmpty } ?? "").trimmingSpaces
}
