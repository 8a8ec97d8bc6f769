import Collectives
import Foundation

/// FEL's leaf federations on communicators of their own, trained at once
/// (issue 21: "all k at once, each federation on its own communicator").
///
/// Every leaf's communicator holds the server and every host (one `split`
/// of the world per leaf), so each leaf's rounds run on an engine of their
/// own while the hosts share the work of all of them. A round's participants
/// are numbered on across the leaves (leaf l's first participant takes the
/// position after leaf l-1's last) and go to hosts round-robin by position,
/// so each host trains an even share of the whole round, whatever the
/// clusters' sizes. (Giving each leaf hosts of its own instead left the
/// largest cluster's hosts the leaf phase's length: up to 1.8x the
/// interleaved time with a core per rank, docs/benchmarks/federated.md.)
///
/// A FEL round (the server's `round`):
///
///     world:   header [3, round, l1, l2, ...]: the leaves training this round
///     leaf l:  startRound (header and model) for each listed leaf, in order
///     leaf l:  finishRound (results in) for each listed leaf, in order
///
/// A host takes every start, trains its share of every leaf's clients, and
/// only then sends the results, leaf by leaf in participant order
/// (`RoundEngine.hostTrainAhead`). Under MPI a large send waits for its
/// receive, so a host that sent each result as it trained would stop at its
/// first result of a later leaf until the server reached that leaf. Each
/// leaf's results come back in participant order on its own engine, so every
/// leaf's model is the same on any world size.
public final class LeafGroups {
    let world: RoundEngine
    /// Leaf l's engine (on every rank).
    let engines: [RoundEngine]

    /// Collective over the world: every rank makes the k splits.
    public init(world: RoundEngine, leaves k: Int, task: FederatedTask) {
        self.world = world
        let comm = world.comm
        engines = (0..<k).map { _ in RoundEngine(comm: comm.split(color: 0, key: comm.rank)!, tasks: [task]) }
    }

    /// Leaf l's engine on the server (a leaf `Federation` runs its rounds on it, task 0).
    public func engine(leaf l: Int) -> RoundEngine { engines[l] }

    /// One round of every listed leaf at once; their records in the listed order.
    public func round(_ r: Int, _ leaves: [(leaf: Int, federation: Federation, clients: Int, stream: UInt64)]) -> [RoundRecord] {
        let bytes0 = world.federatedBytes()
        world.announcePhase([Int64(r)] + leaves.map { Int64($0.leaf) })
        let announced = world.federatedBytes() - bytes0
        var position = 0
        let pending = leaves.map { leaf -> PendingRound in
            let p = leaf.federation.startRound(r, clients: leaf.clients, stream: leaf.stream, firstPosition: position)
            position += p.trained.count
            return p
        }
        var records = zip(leaves, pending).map { $0.federation.finishRound($1) }
        // The announcement is this phase's too: counted once, on its first record.
        if !records.isEmpty { records[0].mpiBytes += announced }
        return records
    }

    /// A host's side of `round`, called by the world engine's `serve` on header 3:
    /// every start, then its share of every leaf's clients trained, then the
    /// results sent leaf by leaf.
    public func hostRound(_ words: [Int64]) {
        let listed = words.dropFirst().map { engines[Int($0)] }
        let started = listed.map { $0.hostStartRound() }
        for (engine, s) in zip(listed, started) { engine.hostTrainAhead(s) }
        for engine in listed { engine.hostSendTrained() }
    }
}
