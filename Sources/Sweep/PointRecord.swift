import Foundation
import Training

/// What a sweep knows about one point: its result, or why it failed.
/// Written to the point's run folder as `point.json` (what `--resume` reads back)
/// and as one row of `runs.csv`.
public struct PointRecord: Sendable, Codable, Equatable {
    public enum Status: String, Sendable, Codable { case pending, done, failed }

    public var index: Int
    public var id: String
    public var coordinates: [String: String]
    public var seed: UInt64
    public var status: Status
    public var error: String?
    public var runDirectory: String
    public var evalLogloss: Double?
    public var evalNe: Double?
    public var evalAuc: Double?
    /// The planted model's eval logloss (synthetic data): the floor a fit's c approaches.
    public var plantedLogloss: Double?
    public var denseParameters: Int?
    public var embeddingParameters: Int?
    public var samplesSeen: Int?
    /// Training FLOPs: `DLRMDense.flopsPerSample` (mean sequence length: half the
    /// longest) times samples seen.
    public var flops: Double?
    /// Wall seconds of the whole point on its group (set-up, training, eval).
    public var seconds: Double?
    /// The worker group that ran it.
    public var group: Int?
    /// The config it ran with (resume re-runs a point whose config changed).
    public var config: RunConfig

    public init(pending point: SweepPoint) {
        index = point.index; id = point.id; coordinates = point.coordinates; seed = point.seed
        status = point.setupError == nil ? .pending : .failed
        error = point.setupError
        runDirectory = point.runDirectory
        config = point.config
    }

    public var parameters: Int? {
        guard let d = denseParameters, let e = embeddingParameters else { return nil }
        return d + e
    }

    public func metric(_ m: SweepSpec.Metric) -> Double? {
        switch m {
        case .evalLogloss: return evalLogloss
        case .evalNe: return evalNe
        }
    }

    /// This point's x for an axis measure (nil when not available).
    public func x(_ measure: SweepAxis.Measure, axis: String) -> Double? {
        switch measure {
        case .value: return coordinates[axis].flatMap(Double.init)
        case .samplesSeen: return samplesSeen.map(Double.init)
        case .parameters: return parameters.map(Double.init)
        case .denseParameters: return denseParameters.map(Double.init)
        case .embeddingParameters: return embeddingParameters.map(Double.init)
        case .flops: return flops
        }
    }
}

/// runs.csv: one row per point in sweep order, pending and failed ones included.
public enum RunsCSV {
    public static func header(axes: [String]) -> [String] {
        ["index", "id", "status"] + axes + ["seed", "eval_logloss", "eval_ne", "eval_auc", "planted_logloss",
                                           "dense_parameters", "embedding_parameters", "parameters", "samples_seen",
                                           "flops", "seconds", "group", "run_dir", "error"]
    }

    public static func render(_ records: [PointRecord], axes: [String]) -> String {
        func d(_ v: Double?) -> String { v.map { String(format: "%.6g", $0) } ?? "" }
        func i(_ v: Int?) -> String { v.map(String.init) ?? "" }
        var lines = [header(axes: axes).joined(separator: ",")]
        for r in records.sorted(by: { $0.index < $1.index }) {
            let row = [String(r.index), r.id, r.status.rawValue] + axes.map { r.coordinates[$0] ?? "" }
                + [String(r.seed), d(r.evalLogloss), d(r.evalNe), d(r.evalAuc), d(r.plantedLogloss),
                   i(r.denseParameters), i(r.embeddingParameters), i(r.parameters), i(r.samplesSeen),
                   d(r.flops), r.seconds.map { String(format: "%.2f", $0) } ?? "", i(r.group), r.runDirectory,
                   r.error ?? ""]
            lines.append(row.map(quote).joined(separator: ","))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// RFC 4180 quoting where needed (commas, quotes, newlines).
    static func quote(_ field: String) -> String {
        guard field.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return field }
        return "\"" + field.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
