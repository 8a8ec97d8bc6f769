import Collectives
import Foundation
import RunKit
import Training

/// Runs a sweep over a world communicator: rank 0 coordinates, the other ranks
/// form worker groups of `spec.groupSize` consecutive ranks, each a communicator
/// of its own that trains one point at a time with the full sharded trainer.
///
/// The groups and their messages are the shared coordinator's (`WorkGroups` in
/// Collectives, phase `.sweep`, tags 71 and 72): a point goes to a group
/// leader, which broadcasts it to its group and sends the `PointRecord` back.
/// The coordinator hands
/// out points largest first as groups come free, never trains, and rewrites
/// runs.csv after every result. A point whose config is bad (the Trainer throws)
/// or that fails in training (a diverged loss) comes back as failed with the
/// error and its group goes on. A worker process that dies takes the MPI job
/// with it; `--resume` (`resume: true`) then re-runs only what did not finish.
public struct SweepRunner {
    public var spec: SweepSpec
    public var points: [SweepPoint]
    /// The sweep folder (runs.csv, fits.json, plots, runs/<id>/).
    public var outDirectory: String
    /// Keep points whose `point.json` says done with the same config.
    public var resume: Bool
    /// Progress lines (rank 0 only).
    public var progress: ((String) -> Void)?

    public init(spec: SweepSpec, points: [SweepPoint], outDirectory: String, resume: Bool,
                progress: ((String) -> Void)?) {
        self.spec = spec
        self.points = points
        self.outDirectory = outDirectory
        self.resume = resume
        self.progress = progress
    }

    /// Collective over `world` (the shared `WorkGroups` coordinator). Returns
    /// the outcome on rank 0, nil on workers.
    @discardableResult
    public func run(world: Communicator) throws -> SweepOutcome? {
        try spec.validate()
        guard world.size >= 2 else {
            throw InputError("a sweep needs at least 2 ranks (a coordinator and one worker group); got 1")
        }
        let groups = try WorkGroups(world: world, groupSize: spec.groupSize, phase: .sweep)
        let watch = try groups.watchCoordinator(limit, directory: outDirectory)
        defer { watch?.stop() }
        guard groups.isCoordinator else {
            try groups.serve { (point: SweepPoint, group: Communicator, index: Int) in
                runPoint(point, group: group, groupIndex: index)
            }
            return nil
        }
        defer { groups.stop() }
        return try coordinate(groups: groups)
    }

    /// sweep.point_timeout_seconds as the coordinator's limit on a point (nil: none).
    var limit: WorkOverdue.Limit? {
        spec.pointTimeoutSeconds.flatMap { $0 > 0 ? WorkOverdue.Limit(seconds: $0, key: "sweep.point_timeout_seconds", noun: "point") : nil }
    }

    // MARK: Workers

    /// Trains one point on `group`; every error becomes a failed record.
    func runPoint(_ point: SweepPoint, group: Communicator, groupIndex: Int) -> PointRecord {
        var record = PointRecord(pending: point)
        record.group = groupIndex
        let start = Date()
        do {
            // The trainer plans for the group's own ranks (ShardingPlanner.Target.worldRanks).
            let config = point.config
            let trainer = try Trainer(config: config, comm: group)
            let dir = (outDirectory as NSString).appendingPathComponent(point.runDirectory)
            let summary = try TrainingRun(trainer: trainer, runDirectory: dir, progress: nil).run()
            record.status = .done
            record.evalLogloss = summary.metrics.evalLogloss
            record.evalNe = summary.metrics.evalNe
            record.evalAuc = summary.metrics.evalAuc
            record.plantedLogloss = summary.data.plantedLogloss
            record.denseParameters = trainer.model.parameterCount
            record.embeddingParameters = trainer.layout.tables.reduce(0) { $0 + $1.rows * $1.dim }
            record.samplesSeen = summary.samples
            let meanLength = Double(trainer.data.maxSequenceLength) / 2
            record.flops = trainer.model.flopsPerSample(meanSequenceLength: meanLength) * Double(summary.samples)
        } catch {
            record.status = .failed
            record.error = "\(error)"
        }
        record.seconds = Date().timeIntervalSince(start)
        return record
    }

    // MARK: Coordinator

    func coordinate(groups: WorkGroups) throws -> SweepOutcome {
        let start = Date()
        let fm = FileManager.default
        let folder = try RunFolder(path: outDirectory)
        try folder.writeJSON("sweep.json", spec)
        var records = points.map(PointRecord.init(pending:))
        var kept = 0
        if resume {
            for (i, p) in points.enumerated() where p.setupError == nil {
                if let old = readRecord(p), old.status == .done, old.config == p.config {
                    records[i] = old
                    kept += 1
                }
            }
        }
        // Largest first, so the last points to start are the short ones and the groups end together.
        let queue = points.filter { records[$0.index].status == .pending }.sorted { ($0.cost, -$0.index) > ($1.cost, -$1.index) }
        let failedUpFront = records.filter { $0.status == .failed }.count
        progress?("sweep: \(points.count) points (\(queue.count) to run, \(kept) kept from an earlier run, "
                  + "\(failedUpFront) failed before training) on \(groups.groupCount) group(s) of \(spec.groupSize) rank(s)")
        for r in records where r.status == .failed { try writeRecord(r, in: folder) }
        try writeCSV(records, in: folder)
        for p in queue {
            try fm.createDirectory(atPath: (outDirectory as NSString).appendingPathComponent(p.runDirectory),
                                   withIntermediateDirectories: true)
        }
        var finished = 0
        try groups.dispatch(queue, local: nil, limit: limit) { (_, record: PointRecord, _) in
            records[record.index] = record
            finished += 1
            try writeRecord(record, in: folder)
            try writeCSV(records, in: folder)
            progress?(line(record, finished: finished, total: queue.count, elapsed: Date().timeIntervalSince(start)))
        }
        let fits = SweepFits.fit(spec: spec, records: records)
        try folder.writeJSON("fits.json", fits)
        for f in fits.all { try folder.writeText("plot-\(f.name).svg", f.plot(metric: spec.metric)) }
        let seconds = Date().timeIntervalSince(start)
        let outcome = SweepOutcome(records: records, fits: fits, seconds: seconds)
        progress?(fits.table())
        progress?(String(format: "sweep: %d done, %d failed in %.1fs; outputs in %@", outcome.done, outcome.failed,
                         seconds, outDirectory))
        return outcome
    }

    func line(_ r: PointRecord, finished: Int, total: Int, elapsed: Double) -> String {
        let head = "[\(finished)/\(total)] \(r.id)"
        if r.status == .done {
            return String(format: "%@: logloss %.4f  ne %.4f  (%.1fs on group %d; sweep %.0fs)", head,
                          r.evalLogloss ?? .nan, r.evalNe ?? .nan, r.seconds ?? 0, r.group ?? -1, elapsed)
        }
        return "\(head): FAILED: \(r.error ?? "unknown error")"
    }

    // MARK: Files

    func path(_ name: String) -> String { (outDirectory as NSString).appendingPathComponent(name) }

    func writeRecord(_ r: PointRecord, in folder: RunFolder) throws {
        // Plain keys (no snake case), so axis names and table names read back as written.
        try folder.writeJSON((r.runDirectory as NSString).appendingPathComponent("point.json"), r, encoder: StrataJSON.encoder(snakeCase: false))
    }

    func readRecord(_ p: SweepPoint) -> PointRecord? {
        let file = (path(p.runDirectory) as NSString).appendingPathComponent("point.json")
        guard let data = FileManager.default.contents(atPath: file) else { return nil }
        let d = JSONDecoder()
        d.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return try? d.decode(PointRecord.self, from: data)
    }

    func writeCSV(_ records: [PointRecord], in folder: RunFolder) throws {
        try folder.writeText("runs.csv", RunsCSV.render(records, axes: spec.axes.map(\.name)))
    }
}

/// What rank 0 gets back from a sweep.
public struct SweepOutcome: Sendable {
    public var records: [PointRecord]
    public var fits: SweepFits
    public var seconds: Double
    public var done: Int { records.filter { $0.status == .done }.count }
    public var failed: Int { records.filter { $0.status == .failed }.count }
}
