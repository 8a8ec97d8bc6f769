import Collectives
import Foundation

/// FEL's leaf federations on communicators of their own, so their hosts
/// train at the same time (issue 21: "all k at once, each federation on its
/// own communicator").
///
/// Hosts: world ranks 1...H (H = world size - 1) form g = min(H, k) groups,
/// host h in group (h - 1) mod g; leaf l is hosted by group l mod g. With
/// H >= k every leaf has hosts of its own (round-robin); with H < k one host
/// serves several leaves. Leaf l's communicator is {0} + its hosts, made by
/// one `split` of the world per leaf (ranks outside pass a negative color),
/// ordered by world rank so the server is its rank 0.
///
/// A FEL round (the server's `round`):
///
///     world:   header [3, round, l1, l2, ...]: the leaves training this round
///     leaf l:  startRound (header and model) for each listed leaf, in order
///     leaf l:  finishRound (results in) for each listed leaf, in order
///
/// A host does the same on its leaves among the listed ones: takes every
/// start, then, leaf by leaf, trains all of that leaf's clients before it
/// sends any of their results (`RoundEngine.hostTrainAhead`). Both sides
/// go through the leaves in one order, so a host in several leaves never
/// waits for a start while the server waits for its results; disjoint hosts
/// train while the server starts the other leaves and takes earlier ones'
/// results. Each leaf's results come back in participant order on its own
/// engine, so every leaf's model is the same on any world size.
public final class LeafGroups {
    let world: RoundEngine
    /// Leaf l's engine, nil on a rank that does not host it.
    let engines: [RoundEngine?]

    /// The world ranks hosting leaf `leaf` of `leaves` in a world of `worldSize` (none in a world of one).
    public static func hosts(leaf: Int, leaves: Int, worldSize: Int) -> [Int] {
        let h = worldSize - 1
        guard h > 0 else { return [] }
        let groups = min(h, leaves)
        return (1...h).filter { ($0 - 1) % groups == leaf % groups }
    }

    /// Collective over the world: every rank makes the k splits.
    public init(world: RoundEngine, leaves k: Int, task: FederatedTask) {
        self.world = world
        let comm = world.comm
        engines = (0..<k).map { l in
            let member = comm.rank == 0 || Self.hosts(leaf: l, leaves: k, worldSize: comm.size).contains(comm.rank)
            return comm.split(color: member ? 0 : -1, key: comm.rank).map { RoundEngine(comm: $0, tasks: [task]) }
        }
    }

    /// Leaf l's engine on the server (a leaf `Federation` runs its rounds on it, task 0).
    public func engine(leaf l: Int) -> RoundEngine { engines[l]! }

    /// One round of every listed leaf at once; their records in the listed order.
    public func round(_ r: Int, _ leaves: [(leaf: Int, federation: Federation, clients: Int, stream: UInt64)]) -> [RoundRecord] {
        let bytes0 = world.federatedBytes()
        world.announcePhase([Int64(r)] + leaves.map { Int64($0.leaf) })
        let announced = world.federatedBytes() - bytes0
        let pending = leaves.map { $0.federation.startRound(r, clients: $0.clients, stream: $0.stream) }
        var records = zip(leaves, pending).map { $0.federation.finishRound($1) }
        // The announcement is this phase's too: counted once, on its first record.
        if !records.isEmpty { records[0].mpiBytes += announced }
        return records
    }

    /// A host's side of `round`, called by the world engine's `serve` on header 3:
    /// every start, then leaf by leaf all its clients trained, then their
    /// results sent. Training before sending matters: the server takes the
    /// leaves' results one leaf after another, and a host that sent each
    /// result as it trained would wait at its first send until the server
    /// reached its leaf, so the leaves would train in turn, not at once.
    public func hostRound(_ words: [Int64]) {
        let mine = words.dropFirst().compactMap { engines[Int($0)] }
        let started = mine.map { $0.hostStartRound() }
        for (engine, s) in zip(mine, started) {
            engine.hostTrainAhead(s)
            engine.hostSendTrained()
        }
    }
}
