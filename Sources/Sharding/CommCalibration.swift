import Foundation

/// The link figures of the alpha-beta model: a collective over p ranks costs
/// `alpha(link class) * rounds(p) + bytes / beta(link class)`, where the link
/// class is inter-node when its communicator spans nodes. Alpha is what a
/// bytes-only model missed: FlexShard's replica syncs were tens of small
/// collectives a step, each paying a link's latency (issue 38).
///
/// `strata bench comm --calibrate FILE` measures the figures (small-message
/// allreduce time per round for alpha, large-message time for beta, on the
/// node's and the cross-node communicators) and writes this as JSON;
/// `strata plan --calibration FILE` and `topology.calibration` read it.
public struct CommCalibration: Sendable, Codable, Equatable {
    /// Seconds per round of a collective inside a node and across nodes.
    public var intraNodeLatency: Double
    public var interNodeLatency: Double
    /// Bytes per second, when measured (nil: the topology's bandwidths).
    public var intraNodeBandwidth: Double?
    public var interNodeBandwidth: Double?

    public init(intraNodeLatency: Double, interNodeLatency: Double, intraNodeBandwidth: Double? = nil,
                interNodeBandwidth: Double? = nil) {
        self.intraNodeLatency = intraNodeLatency; self.interNodeLatency = interNodeLatency
        self.intraNodeBandwidth = intraNodeBandwidth; self.interNodeBandwidth = interNodeBandwidth
    }

    /// This machine's latencies: the 2-core development box as the cluster
    /// box (2 hosts x 2 ranks, links shaped to 1 Gbit; OpenMPI over shared
    /// memory inside a host, TCP between hosts), measured by `strata bench
    /// comm --calibrate` at a load of about 18 from other builds: 9.3 us a
    /// round inside a host, 5.55 ms between hosts (a rank waiting on TCP
    /// yields its core and waits for the scheduler; docs/benchmarks/flexshard.md, the cluster box).
    /// Bandwidths stay the topology's unless a calibration file gives them.
    public static let machineDefault = CommCalibration(intraNodeLatency: 9.3e-6, interNodeLatency: 5.55e-3)

    /// Links without latency: the model of bytes over bandwidth alone.
    public static let noLatency = CommCalibration(intraNodeLatency: 0, interNodeLatency: 0)

    /// Rounds of a latency-bound collective over `p` ranks: ceil(log2 p)
    /// (recursive doubling, OpenMPI's choice for small messages); none alone.
    public static func rounds(_ p: Int) -> Int {
        p <= 1 ? 0 : Int.bitWidth - (p - 1).leadingZeroBitCount
    }

    enum CodingKeys: String, CodingKey {
        case intraNodeLatency = "intra_node_latency_s", interNodeLatency = "inter_node_latency_s"
        case intraNodeBandwidth = "intra_node_bytes_per_s", interNodeBandwidth = "inter_node_bytes_per_s"
    }

    /// Reads a calibration file; a missing or malformed file is one sentence naming it.
    public static func read(_ path: String) throws -> CommCalibration {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw PlanError("calibration file \(path) cannot be read (write one with strata bench comm --calibrate \(path))")
        }
        let c: CommCalibration
        do { c = try JSONDecoder().decode(CommCalibration.self, from: data) } catch {
            throw PlanError("calibration file \(path) is not a calibration (need intra_node_latency_s and inter_node_latency_s, in seconds)")
        }
        for (key, v) in [("intra_node_latency_s", c.intraNodeLatency), ("inter_node_latency_s", c.interNodeLatency)]
        where !(v >= 0 && v.isFinite) {
            throw PlanError("calibration file \(path): \(key) must be a non-negative number of seconds, got \(v)")
        }
        for (key, v) in [("intra_node_bytes_per_s", c.intraNodeBandwidth), ("inter_node_bytes_per_s", c.interNodeBandwidth)] {
            if let v, !(v > 0 && v.isFinite) { throw PlanError("calibration file \(path): \(key) must be positive, got \(v)") }
        }
        return c
    }

    public func write(to path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(self).write(to: URL(fileURLWithPath: path))
    }
}
