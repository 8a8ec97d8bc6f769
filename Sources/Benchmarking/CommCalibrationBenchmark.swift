import Collectives
import Foundation
import Sharding

/// `strata bench comm --calibrate FILE`: the alpha-beta model's figures on the
/// machine (or cluster box) it runs on, per link class. Inside a node the
/// node's communicator, across nodes the communicator of the ranks with the
/// same place on every node: an 8-byte allreduce (median of `reps`) over its
/// rounds (ceil(log2 p)) is alpha; a large allreduce, less its alpha, over
/// the ring's 2(p-1)/p of its bytes, is beta. A class with one rank (one
/// node, or nodes of one rank) keeps this machine's default figure.
public enum CommCalibrationBenchmark {
    public static func run(comm: Communicator, largeBytes: Int, reps: Int, warmup: Int) -> CommCalibration {
        let L = comm.topology.ranks(onNode: comm.node).count
        let place = comm.topology.ranks(onNode: comm.node).firstIndex(of: comm.worldRank)!
        let node = comm.split(color: comm.node, key: comm.rank)!
        let cross = comm.split(color: place, key: comm.rank)!
        var result = CommCalibration.machineDefault
        // Every rank measures both (collective calls), then takes the slowest rank's time.
        let intra = measure(node, largeBytes: largeBytes, reps: reps, warmup: warmup, world: comm)
        let inter = measure(cross, largeBytes: largeBytes, reps: reps, warmup: warmup, world: comm)
        if L > 1 {
            result.intraNodeLatency = intra.alpha
            result.intraNodeBandwidth = intra.beta
        }
        if comm.topology.nodeCount > 1 {
            result.interNodeLatency = inter.alpha
            result.interNodeBandwidth = inter.beta
        }
        return result
    }

    /// Alpha (seconds a round) and beta (bytes a second) over `c`, the
    /// slowest rank's medians; zeros on a communicator of one rank.
    static func measure(_ c: Communicator, largeBytes: Int, reps: Int, warmup: Int, world: Communicator)
        -> (alpha: Double, beta: Double?) {
        let small = UnsafeMutableBufferPointer<Float>.allocate(capacity: 2)
        let large = UnsafeMutableBufferPointer<Float>.allocate(capacity: max(largeBytes / 4, 1))
        defer { small.deallocate(); large.deallocate() }
        small.initialize(repeating: 1); large.initialize(repeating: 1)
        func time(_ buffer: UnsafeMutableBufferPointer<Float>) -> Double {
            var xs: [Double] = []
            for i in 0..<(warmup + reps) {
                c.rawBarrier()
                let t0 = monotonicSeconds()
                c.allreduce(.bench, buffer)
                if i >= warmup { xs.append(monotonicSeconds() - t0) }
            }
            xs.sort()
            return xs[xs.count / 2]
        }
        let p = c.size
        var t = [p > 1 ? time(small) : 0, p > 1 ? time(large) : 0]
        // The slowest rank's figures, the same on every rank.
        let slowest = UnsafeMutableBufferPointer<Double>.allocate(capacity: 2)
        defer { slowest.deallocate() }
        slowest[0] = t[0]; slowest[1] = t[1]
        world.allreduce(.bench, slowest, op: .max)
        t = [slowest[0], slowest[1]]
        guard p > 1 else { return (0, nil) }
        let rounds = Double(CommCalibration.rounds(p))
        let alpha = t[0] / rounds
        let ringBytes = 2 * Double(p - 1) / Double(p) * Double(large.count * 4)
        let beta = ringBytes / max(t[1] - alpha * rounds, 1e-9)
        return (alpha, beta)
    }
}
