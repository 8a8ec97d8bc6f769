#if canImport(Glibc)
import Glibc
#endif

/// What one phase moved: bytes per peer (by world rank), bytes to self kept
/// apart, bytes by link class, and wall seconds.
///
/// Peer-to-peer patterns (all-to-all, gather, send) have a well-defined payload
/// per peer. An allreduce's per-peer traffic is up to MPI's algorithm, so its
/// payload (the bytes passed to MPI) is kept in `collectiveBytes` and not
/// spread over peers or link classes.
public struct PhaseTotals: Sendable, Equatable, Codable {
    public var calls = 0
    /// Bytes sent to each world rank; the own rank's entry stays 0 (see `selfBytes`).
    public var bytesSentToPeer: [Int]
    /// Bytes received from each world rank; the own rank's entry stays 0.
    public var bytesReceivedFromPeer: [Int]
    /// Bytes a rank "sends" to itself in an all-to-all (a copy, not traffic).
    public var selfBytes = 0
    public var intraNodeBytesSent = 0
    public var interNodeBytesSent = 0
    /// Payload of reductions (allreduce), bytes passed to MPI per call summed.
    public var collectiveBytes = 0
    public var seconds = 0.0

    public init(worldSize: Int) {
        bytesSentToPeer = Array(repeating: 0, count: worldSize)
        bytesReceivedFromPeer = Array(repeating: 0, count: worldSize)
    }

    /// Bytes sent to other ranks (self excluded): "all-to-all traffic".
    public var bytesSent: Int { intraNodeBytesSent + interNodeBytesSent }
    public var bytesReceived: Int { bytesReceivedFromPeer.reduce(0, +) }

    mutating func add(_ other: PhaseTotals) {
        calls += other.calls
        for p in bytesSentToPeer.indices {
            bytesSentToPeer[p] += other.bytesSentToPeer[p]
            bytesReceivedFromPeer[p] += other.bytesReceivedFromPeer[p]
        }
        selfBytes += other.selfBytes
        intraNodeBytesSent += other.intraNodeBytesSent
        interNodeBytesSent += other.interNodeBytesSent
        collectiveBytes += other.collectiveBytes
        seconds += other.seconds
    }

    mutating func reset() {
        calls = 0
        for p in bytesSentToPeer.indices {
            bytesSentToPeer[p] = 0
            bytesReceivedFromPeer[p] = 0
        }
        selfBytes = 0; intraNodeBytesSent = 0; interNodeBytesSent = 0
        collectiveBytes = 0; seconds = 0
    }
}

/// The communication ledger of one rank: every collective of every
/// communicator derived from the same world records here.
///
/// Two accumulators: the current step and the run. `endStep()` folds the step
/// into the run. Recording allocates nothing: phases index flat arrays.
public final class CommLedger {
    public let worldRank: Int
    public let topology: Topology
    public private(set) var step: [PhaseTotals]
    public private(set) var run: [PhaseTotals]
    public private(set) var stepsEnded = 0

    public init(worldRank: Int, topology: Topology) {
        self.worldRank = worldRank
        self.topology = topology
        let empty = PhaseTotals(worldSize: topology.worldSize)
        step = Array(repeating: empty, count: CommPhase.allCases.count)
        run = step
    }

    public var worldSize: Int { topology.worldSize }

    /// Records `sent` bytes to and `received` bytes from world rank `peer`.
    @inline(__always)
    public func recordPeer(_ phase: CommPhase, peer: Int, sent: Int, received: Int) {
        let i = phase.rawValue
        if peer == worldRank {
            step[i].selfBytes += sent
            return
        }
        step[i].bytesSentToPeer[peer] += sent
        step[i].bytesReceivedFromPeer[peer] += received
        if topology.sameNode(worldRank, peer) {
            step[i].intraNodeBytesSent += sent
        } else {
            step[i].interNodeBytesSent += sent
        }
    }

    public func recordCollective(_ phase: CommPhase, bytes: Int) {
        step[phase.rawValue].collectiveBytes += bytes
    }

    public func recordCall(_ phase: CommPhase, seconds: Double) {
        step[phase.rawValue].calls += 1
        step[phase.rawValue].seconds += seconds
    }

    /// Wait time of a non-blocking call, added once it completes.
    public func recordSeconds(_ phase: CommPhase, seconds: Double) {
        step[phase.rawValue].seconds += seconds
    }

    /// Folds the current step into the run totals and clears it.
    public func endStep() {
        for i in step.indices {
            run[i].add(step[i])
            step[i].reset()
        }
        stepsEnded += 1
    }

    /// Clears both accumulators (after warm-up, say).
    public func resetAll() {
        for i in step.indices {
            step[i].reset()
            run[i].reset()
        }
        stepsEnded = 0
    }

    /// The run's totals plus whatever the current step has recorded so far.
    public func runIncludingCurrentStep() -> [PhaseTotals] {
        var out = run
        for i in out.indices { out[i].add(step[i]) }
        return out
    }

    /// Bytes sent to other ranks in all-to-all phases during the current step.
    public var stepAllToAllBytes: Int {
        CommPhase.allCases.filter(\.isAllToAll).reduce(0) { $0 + step[$1.rawValue].bytesSent }
    }
}

/// Monotonic seconds, for the ledger's timings.
@inline(__always)
public func monotonicSeconds() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
}
