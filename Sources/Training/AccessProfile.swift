import Cluster
import Data
import Sharding

extension AccessProfile {
    /// FlexShard's profiling pass: accesses per row of every table over the
    /// first global batches, counted as the lookups will see them (user-side
    /// ids once per unique row when dedup is on). Every rank counts the same
    /// global batches itself (batches are a pure function of their index), so
    /// no communication. `samples` > 0 counts only a seeded sample of them
    /// (`ProfileSample`), its share in `sampledFraction`.
    public static func measure(source: any BatchSource, layout: FeatureLayout, batchSize: Int, steps: Int,
                               dedup: Bool, samples: Int = 0, seed: UInt64 = 0) -> AccessProfile {
        var counts = layout.tables.map { [Int](repeating: 0, count: $0.rows) }
        let batches = max(1, min(steps, source.sampleCount(.train) / batchSize))
        let sample = ProfileSample(steps: batches, batchSize: batchSize, samples: samples, seed: seed)
        for block in sample.blocks {
            let batch = source.batch(globalStart: block.lowerBound, count: block.count, split: .train, dedup: dedup)
            for (f, ids) in zip(layout.features, layout.ids(of: batch)) {
                for v in ids.values { counts[f.table][Int(v)] += 1 }
            }
        }
        return AccessProfile(steps: batches, counts: counts, sampledFraction: 1 / sample.scale)
    }

    /// The distinct global batches `steps` training steps read: the split
    /// wraps around after one pass.
    public static func trainingBatches(steps: Int, source: any BatchSource, batchSize: Int) -> Int {
        min(steps, max(1, source.sampleCount(.train) / batchSize))
    }
}

extension ShardingPlanner {
    /// The plan for a run's config on a world (or a sweep group's ranks in
    /// it), profiling the run's own training batches only if FlexShard needs
    /// them. `sharding` defaults to the config's. `roomForLaterRows: false`
    /// plans as for a run no longer than its profile (FlexShard keeps no room
    /// for rows first read after it: the tests' small tables keep their tiers).
    public static func plan(for config: RunConfig, sharding: ShardingSpec? = nil, layout: FeatureLayout,
                            source: any BatchSource, topology: Topology, worldRanks: [Int]? = nil,
                            given: ShardingPlan? = nil, roomForLaterRows: Bool = true) throws -> Planned {
        let spec = sharding ?? config.sharding
        let training = AccessProfile.trainingBatches(steps: config.run.steps, source: source, batchSize: config.run.batchSize)
        let target = Target(tables: layout.tables, topology: topology, worldRanks: worldRanks,
                            optimizer: config.optimizer.embedding, trainingSteps: roomForLaterRows ? training : nil,
                            elementBytes: config.precision.embedding.bytes,
                            calibration: config.topology.calibration == nil ? nil : try CommCalibration.of(config))
        // Measured once, however many candidates (auto) need it.
        var measured: AccessProfile?
        func profile() throws -> AccessProfile {
            if let measured { return measured }
            let p: AccessProfile
            if let path = spec.profilePath {
                p = try AccessTrace.read(path).profile(for: layout.tables, file: path)
            } else {
                p = AccessProfile.measure(source: source, layout: layout, batchSize: config.run.batchSize,
                                          steps: spec.profileSteps, dedup: config.data.dedup,
                                          samples: spec.profileSamples, seed: config.run.seed)
            }
            measured = p
            return p
        }
        if spec.type == .auto, given == nil {
            return try AutoSharding.plan(spec, for: target, config: config, layout: layout, source: source,
                                         calibration: try CommCalibration.of(config), profile: profile)
        }
        return try plan(spec, for: target, given: given, profile: profile)
    }
}
