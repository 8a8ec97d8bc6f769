import Collectives
import Federated
import Foundation
import XCTest

/// FEL's leaves on communicators of their own (`LeafGroups`): that the hosts
/// train every leaf at once in even shares, that the ledger's bytes are each
/// counted once, and that the run is the same on any world size.
final class FELLeafGroupTests: XCTestCase {
    /// Two leaves of 5 and 1 clients on two hosts: the 6 participants are
    /// numbered on across the leaves, so each host trains 3, and each host's
    /// i-th client waits until the other host reaches its i-th, so every
    /// meeting happens only when both hosts train all their clients at once.
    /// Sends are synchronous, as MPI's are above the eager limit: hosts of a
    /// leaf of their own (5 against 1), or a host that sends each result as
    /// it trains it (it waits at its first send of a later leaf until the
    /// server reaches that leaf), miss meetings.
    func testDisjointHostsTrainAtOnce() throws {
        let source = tinySource(population: 40)
        let cfg = tinyConfig(rounds: 1, k: 6)
        let meeting = Meeting(parties: 2, timeout: 2)
        let out = try LocalCommunicator.run(worldSize: 3, synchronousSends: true) { comm -> (records: [RoundRecord], ledger: Int)? in
            let spec = cfg.model.spec(for: source)
            let model = ClientModel(spec: spec, maxBatch: cfg.maxBatch, seed: cfg.seed)
            let task = MeetingTask(DLRMTask(source: source, model: model, seed: cfg.seed), meeting: meeting, rank: comm.rank)
            let world = RoundEngine(comm: comm, tasks: [task])
            let groups = LeafGroups(world: world, leaves: 2, task: task)
            guard world.isServer else { world.serve(phase: groups.hostRound); return nil }
            defer { world.stopHosts() }
            let leaves = (0..<2).map {
                Federation(name: "leaf\($0)", config: cfg, source: source, engine: groups.engine(leaf: $0), taskIndex: 0,
                           initial: model.flat(), flopsPerSample: model.flopsPerSample, members: Array(stride(from: $0, to: 40, by: 2)))
            }
            let bytes0 = world.federatedBytes()
            let records = groups.round(1, (0..<2).map { (leaf: $0, federation: leaves[$0], clients: [5, 1][$0], stream: UInt64($0)) })
            return (records, world.federatedBytes() - bytes0)
        }
        let (records, ledger) = try XCTUnwrap(out[0])
        XCTAssertEqual(meeting.missed, 0, "a host trained while the other leaf's host sat idle")
        XCTAssertEqual(records.map(\.participants.count), [5, 1])
        XCTAssertEqual(meeting.arrivals, [1: 3, 2: 3], "each host trains half of the round")
        XCTAssertEqual(records.map(\.mpiBytes).reduce(0, +), ledger, "every byte of the phase on exactly one record")
        XCTAssertTrue(records.allSatisfy { $0.mpiBytes > 0 })
    }

    /// FEL on worlds of 1, 3 and 4 threads (2 and 3 hosts sharing three
    /// leaves' clients): the same summary and the same rounds.jsonl but for
    /// wall times and MPI bytes.
    func testFELIsTheSameOnAnyWorldSize() throws {
        let source = tinySource(population: 60, spread: 0.4)
        var cfg = tinyConfig(rounds: 3, k: 9)
        cfg.client.learningRate = 0.1
        cfg.evalEvery = 1
        cfg.device = DeviceModel(seed: 3)
        var fel = FELConfig()
        fel.k = 3
        fel.overRounds = 2
        fel.centralClients = 20
        fel.centralEpochs = 1
        var runs: [(fel: String, records: [NSDictionary])] = []
        for ranks in [1, 3, 4] {
            let dir = NSTemporaryDirectory() + "fel-world-\(getpid())-\(ranks)"
            defer { try? FileManager.default.removeItem(atPath: dir) }
            let out = try LocalCommunicator.run(worldSize: ranks) { comm in
                try FELRun.run(comm: comm, config: cfg, fel: fel, source: source, directory: comm.rank == 0 ? dir : nil)
            }
            let summary = try XCTUnwrap(out[0]?.fel)
            XCTAssertNotNil(summary.fel)
            let encoder = JSONEncoder()
            encoder.outputFormatting = .sortedKeys
            let records = try String(contentsOfFile: dir + "/rounds.jsonl", encoding: .utf8).split(separator: "\n").map { line in
                var r = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
                // Only these depend on the world: the time it took and the bytes MPI moved.
                for key in ["wall_seconds", "mpi_bytes", "client_updates_per_second"] {
                    XCTAssertNotNil(r.removeValue(forKey: key), key)
                }
                return NSDictionary(dictionary: r)
            }
            XCTAssertEqual(records.count, 3 * 4 + 2, "3 rounds of 3 leaves and the single model, 2 over-arch rounds")
            runs.append((String(decoding: try encoder.encode(summary), as: UTF8.self), records))
        }
        for (i, ranks) in [3, 4].enumerated() {
            XCTAssertEqual(runs[i + 1].fel, runs[0].fel, "FEL summary on \(ranks) ranks")
            XCTAssertEqual(runs[i + 1].records, runs[0].records, "rounds.jsonl on \(ranks) ranks")
        }
    }
}

/// Counts parties in; each waits (up to `timeout` seconds) until `parties` distinct ranks have arrived at least once.
final class Meeting: @unchecked Sendable {
    private let condition = NSCondition()
    private(set) var arrivals: [Int: Int] = [:]
    let parties: Int
    let timeout: TimeInterval
    private(set) var missed = 0

    init(parties: Int, timeout: TimeInterval) { self.parties = parties; self.timeout = timeout }

    /// A party's i-th arrival waits (up to `timeout`) for every party's i-th.
    func arrive(_ rank: Int) {
        condition.lock(); defer { condition.unlock() }
        arrivals[rank, default: 0] += 1
        let mine = arrivals[rank]!
        condition.broadcast()
        let deadline = Date(timeIntervalSinceNow: timeout)
        while arrivals.values.filter({ $0 >= mine }).count < parties {
            if !condition.wait(until: deadline) { missed += 1; return }
        }
    }
}

/// A DLRM task whose clients first meet the other hosts' (`Meeting`).
final class MeetingTask: FederatedTask {
    let base: DLRMTask, meeting: Meeting, rank: Int
    init(_ base: DLRMTask, meeting: Meeting, rank: Int) { self.base = base; self.meeting = meeting; self.rank = rank }
    var parameterCount: Int { base.parameterCount }
    var needsPayload: Bool { false }
    func beginRound(global: UnsafePointer<Float>) { base.beginRound(global: global) }
    func train(client: Int, round: Int, config: ClientRoundConfig, global: UnsafePointer<Float>,
               payload: [Float], update: UnsafeMutablePointer<Float>, segments: inout [Int]) throws -> (samples: Int, loss: Double) {
        meeting.arrive(rank)
        return try base.train(client: client, round: round, config: config, global: global, payload: payload, update: update, segments: &segments)
    }
}
