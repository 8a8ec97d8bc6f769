import ArgumentParser
import CLISupport
import Data
import Foundation
import Sharding
import Training

/// `strata data profile`: the access trace of a config's data (what
/// FlexShard would count), for `sharding.profile` in place of the data.
struct DataProfile: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "profile",
        abstract: "Write the per-table per-row access counts of a config's data as an access trace.",
        discussion: """
        Counts every id of the first sharding.profile_steps global batches of run.batch_size \
        (as FlexShard's profile does, user-side ids once per unique row when data.dedup is \
        on; a seeded sample of them, counts scaled up, when sharding.profile_samples is set) and writes them in the access-trace format (Sources/Sharding/AccessTrace.swift): \
        'strata-access-trace 1', 'steps S', per table 'table NAME ROWS RECORDS' then \
        RECORDS lines 'ROW COUNT' (rows never read left out), and 'end'. Plan from it with \
        --set sharding.profile=FILE.
        """
    )

    @OptionGroup var configOptions: ConfigOptions

    @Option(help: "Output trace file.")
    var out: String

    func run() throws {
        let cfg = try loadConfig(try configOptions.required("the config whose data and model give the tables"), configOptions.overrides)
        do {
            let data = try DataSources.load(cfg.data, seed: cfg.run.seed)
            let layout = try FeatureLayout(schema: data.source.schema, model: cfg.model)
            let steps = max(1, min(cfg.sharding.profileSteps, data.source.sampleCount(.train) / cfg.run.batchSize))
            let profile = AccessProfile.measure(source: data.source, layout: layout, batchSize: cfg.run.batchSize, steps: steps,
                                                dedup: cfg.data.dedup, samples: cfg.sharding.profileSamples, seed: cfg.run.seed)
            let trace = AccessTrace(profile: profile, tables: layout.tables)
            try trace.write(to: out)
            for t in trace.tables {
                print("\(out): table \(t.name): \(t.rows) rows, \(t.records.count) read, \(t.records.reduce(0) { $0 + $1.count }) reads over \(trace.steps) batches")
            }
        } catch { throw inputFailure(error) }
    }
}

/// `strata data trace`: a synthetic access trace at any table size.
struct DataTrace: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "trace",
        abstract: "Generate an access trace: Zipf, or the popularity shape of another trace's table, at any size.",
        discussion: """
        Each --table is NAME:ROWS:zipf:EXPONENT (expected counts of a Zipf popularity) or \
        NAME:ROWS:like:TRACE:TABLE (the sorted counts of TABLE in TRACE stretched to ROWS \
        rows, e.g. MovieLens's items from `strata data profile --config Configs/movielens.yaml`). \
        Counts are expected values (rounded), so no sampling noise; row 0 is the most read. \
        --accesses reads per table in all, over --steps batches.
        """
    )

    @Option(name: .customLong("table"), help: "NAME:ROWS:zipf:EXPONENT or NAME:ROWS:like:TRACE:TABLE (repeatable).")
    var tables: [String] = []

    @Option(help: "Reads per table over all the batches.")
    var accesses: Int

    @Option(help: "Global batches the counts stand for.")
    var steps: Int = 1

    @Option(help: "Output trace file.")
    var out: String

    func validate() throws {
        if tables.isEmpty { throw ValidationError("name at least one --table") }
        if accesses <= 0 { throw ValidationError("--accesses must be positive, got \(accesses)") }
        if steps <= 0 { throw ValidationError("--steps must be positive, got \(steps)") }
    }

    func run() throws {
        var out: [AccessTrace.Table] = []
        for spec in tables {
            let f = spec.split(separator: ":").map(String.init)
            guard f.count >= 4, let rows = Int(f[1]), rows > 0 else {
                throw inputFailure("--table \(spec): expected NAME:ROWS:zipf:EXPONENT or NAME:ROWS:like:TRACE:TABLE")
            }
            switch f[2] {
            case "zipf":
                guard f.count == 4, let s = Double(f[3]), s >= 0 else { throw inputFailure("--table \(spec): bad Zipf exponent") }
                out.append(.zipf(name: f[0], rows: rows, exponent: s, accesses: accesses))
            case "like":
                guard f.count == 5 else { throw inputFailure("--table \(spec): expected NAME:ROWS:like:TRACE:TABLE") }
                let source: AccessTrace
                do { source = try AccessTrace.read(f[3]) } catch { throw inputFailure(error) }
                guard let t = source.tables.first(where: { $0.name == f[4] }), !t.records.isEmpty else {
                    throw inputFailure("--table \(spec): \(f[3]) has no reads of a table '\(f[4])'")
                }
                out.append(.shaped(like: t.records.map(\.count), name: f[0], rows: rows, accesses: accesses))
            default:
                throw inputFailure("--table \(spec): unknown shape '\(f[2])' (zipf, like)")
            }
        }
        do { try AccessTrace(steps: steps, tables: out).write(to: self.out) } catch { throw inputFailure(error) }
        for t in out { print("\(self.out): table \(t.name): \(t.rows) rows, \(t.records.count) read") }
    }
}
