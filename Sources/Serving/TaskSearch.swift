/// Hercules' stage 1 over the task-scheduling space of one (model, server):
/// m instances x t threads each (m * t <= cores) and sub-batches of b.
public struct TaskSpace: Sendable, Codable, Equatable {
    public var cores: Int
    /// Sub-batch sizes, ascending; 0 (the whole query) is always a choice.
    public var subBatches: [Int]

    public init(cores: Int, subBatches: [Int]) {
        self.cores = cores
        self.subBatches = [0] + subBatches.filter { $0 > 0 }.sorted()
    }

    /// m and t take powers of two (and `cores` itself), as Hercules steps them.
    public var counts: [Int] {
        var c: [Int] = []
        var x = 1
        while x <= cores { c.append(x); x *= 2 }
        if c.last != cores { c.append(cores) }
        return c
    }

    public func isValid(_ c: ServingConfig) -> Bool {
        c.instances >= 1 && c.threads >= 1 && c.instances * c.threads <= cores && subBatches.contains(c.subBatch)
    }

    public var all: [ServingConfig] {
        var out: [ServingConfig] = []
        for m in counts { for t in counts where m * t <= cores { for b in subBatches { out.append(ServingConfig(instances: m, threads: t, subBatch: b)) } } }
        return out
    }

    /// One step along each axis: m and t to the next power of two up or down, b to its neighbours.
    public func neighbours(_ c: ServingConfig) -> [ServingConfig] {
        let counts = self.counts
        var out: [ServingConfig] = []
        func step(_ v: Int, _ d: Int) -> Int? {
            guard let i = counts.firstIndex(of: v), counts.indices.contains(i + d) else { return nil }
            return counts[i + d]
        }
        for d in [-1, 1] {
            if let m = step(c.instances, d) { out.append(ServingConfig(instances: m, threads: c.threads, subBatch: c.subBatch, queueCapacity: c.queueCapacity)) }
            if let t = step(c.threads, d) { out.append(ServingConfig(instances: c.instances, threads: t, subBatch: c.subBatch, queueCapacity: c.queueCapacity)) }
            if let i = subBatches.firstIndex(of: c.subBatch), subBatches.indices.contains(i + d) {
                out.append(ServingConfig(instances: c.instances, threads: c.threads, subBatch: subBatches[i + d], queueCapacity: c.queueCapacity))
            }
            // Trading threads for instances at constant cores (Hercules' main move).
            if let m = step(c.instances, d), let t = step(c.threads, -d) {
                out.append(ServingConfig(instances: m, threads: t, subBatch: c.subBatch, queueCapacity: c.queueCapacity))
            }
        }
        return out.filter(isValid)
    }
}

/// The gradient-style search: from the default (1 instance, every core, no
/// sub-batching), measure every neighbour and move to the one with the
/// largest gain; stop when none gains more than `minGain` (a local optimum).
/// Measurements are cached: a configuration is measured once.
public struct TaskSearch: Sendable {
    public var space: TaskSpace
    /// Relative gain a move must bring (noise guard).
    public var minGain: Double

    public init(space: TaskSpace, minGain: Double = 0.03) {
        self.space = space; self.minGain = minGain
    }

    public struct Outcome: Sendable, Codable {
        public var best: ServingConfig
        public var bestQPS: Double
        public var baseline: ServingConfig
        public var baselineQPS: Double
        public var path: [ServingConfig]
        /// Every configuration measured, in order.
        public var measured: [Measured]
    }

    public struct Measured: Sendable, Codable {
        public var config: ServingConfig
        public var qps: Double
    }

    public func run(measure: (ServingConfig) throws -> Double) rethrows -> Outcome {
        var cache: [ServingConfig: Double] = [:]
        var order: [Measured] = []
        func q(_ c: ServingConfig) throws -> Double {
            if let v = cache[c] { return v }
            let v = try measure(c)
            cache[c] = v
            order.append(Measured(config: c, qps: v))
            return v
        }
        let start = ServingConfig.baseline(cores: space.cores)
        var current = start, currentQPS = try q(start)
        var path = [start]
        while true {
            var best: (ServingConfig, Double)?
            for n in space.neighbours(current) {
                let v = try q(n)
                if v > (best?.1 ?? -1) { best = (n, v) }
            }
            guard let (next, v) = best, v > currentQPS * (1 + minGain) else { break }
            current = next; currentQPS = v
            path.append(next)
        }
        return Outcome(best: current, bestQPS: currentQPS, baseline: start, baselineQPS: cache[start]!, path: path, measured: order)
    }

    /// The exhaustive grid: every configuration measured.
    public func grid(measure: (ServingConfig) throws -> Double) rethrows -> [Measured] {
        try space.all.map { Measured(config: $0, qps: try measure($0)) }
    }
}
