import Foundation

/// N ranks as N threads of one process, for fast unit tests; a world of one
/// needs no threads at all. Collectives go through shared slots: each rank
/// posts its buffers, a barrier, each rank copies what it needs, a barrier.
///
///     let losses = LocalCommunicator.run(worldSize: 4) { comm in
///         comm.allreduce(.metrics, Float(comm.rank))
///     }   // [6, 6, 6, 6]
public final class LocalCommunicator: Communicator {
    public let rank: Int
    public let worldRanks: [Int]
    public let ledger: CommLedger
    let world: LocalWorld
    /// The allreduce's reduction buffer, kept (the step loop allocates nothing).
    private var scratch = UnsafeMutableRawPointer.allocate(byteCount: 16, alignment: 16)
    private var scratchBytes = 16

    public var size: Int { world.size }

    init(rank: Int, world: LocalWorld, worldRanks: [Int], ledger: CommLedger) {
        self.rank = rank
        self.world = world
        self.worldRanks = worldRanks
        self.ledger = ledger
    }

    /// A world of one: every collective is a copy, as CoMD's serial fallbacks.
    public convenience init(topology: Topology = Topology(nodeOfRank: [0])) {
        precondition(topology.worldSize == 1)
        self.init(rank: 0, world: LocalWorld(size: 1), worldRanks: [0],
                  ledger: CommLedger(worldRank: 0, topology: topology))
    }

    /// Runs `body` on `worldSize` threads, one communicator each; returns the
    /// results in rank order. `topology` defaults to one node. With
    /// `synchronousSends` a send returns only once it is received, as a large
    /// MPI send does; by default sends are buffered.
    public static func run<R>(worldSize: Int, topology: Topology? = nil, synchronousSends: Bool = false,
                              _ body: @escaping (LocalCommunicator) throws -> R) rethrows -> [R] {
        let topo = topology ?? Topology(nodeOfRank: Array(repeating: 0, count: worldSize))
        precondition(topo.worldSize == worldSize)
        let world = LocalWorld(size: worldSize, synchronousSends: synchronousSends)
        let comms = (0..<worldSize).map {
            LocalCommunicator(rank: $0, world: world, worldRanks: Array(0..<worldSize),
                              ledger: CommLedger(worldRank: $0, topology: topo))
        }
        if worldSize == 1 { return [try body(comms[0])] }
        let results = ResultBox<R>(count: worldSize)
        let done = DispatchGroup()
        for r in 0..<worldSize {
            done.enter()
            let thread = Thread {
                do { results.set(r, .success(try body(comms[r]))) } catch { results.set(r, .failure(error)) }
                done.leave()
            }
            thread.stackSize = 16 << 20
            thread.start()
        }
        done.wait()
        return try results.values.map { try $0!.get() }
    }

    // MARK: Raw primitives

    public func rawBarrier() { world.barrier() }

    public func rawBroadcast(_ buffer: UnsafeMutableRawPointer?, count: Int, kind: ScalarKind, root: Int) {
        world.post(rank, LocalWorld.Post(ptr: buffer.map(UnsafeRawPointer.init), count: count))
        world.barrier()
        if rank != root, count > 0 {
            buffer!.copyMemory(from: world.posts[root].ptr!, byteCount: count * kind.byteWidth)
        }
        world.barrier()
    }

    deinit { scratch.deallocate() }

    private func reduceScratch(_ bytes: Int) -> UnsafeMutableRawPointer {
        if bytes > scratchBytes {
            scratch.deallocate()
            scratchBytes = max(bytes, 2 * scratchBytes)
            scratch = .allocate(byteCount: scratchBytes, alignment: 16)
        }
        return scratch
    }

    public func rawAllreduce(_ buffer: UnsafeMutableRawPointer?, count: Int, kind: ScalarKind, op: ReduceOp) {
        world.post(rank, LocalWorld.Post(ptr: buffer.map(UnsafeRawPointer.init), count: count))
        world.barrier()
        let bytes = count * kind.byteWidth
        let scratch = reduceScratch(bytes)
        if count > 0 {
            // Every rank reduces in rank order, so all get bit-identical results.
            scratch.copyMemory(from: world.posts[0].ptr!, byteCount: bytes)
            for p in 1..<size { LocalWorld.reduce(into: scratch, world.posts[p].ptr!, count: count, kind: kind, op: op) }
        }
        world.barrier()
        if count > 0 { buffer!.copyMemory(from: scratch, byteCount: bytes) }
    }

    public func rawAlltoall(send: UnsafeRawPointer?, recv: UnsafeMutableRawPointer?, countPerPeer: Int, kind: ScalarKind) {
        world.post(rank, LocalWorld.Post(ptr: send, count: countPerPeer))
        world.barrier()
        let bytes = countPerPeer * kind.byteWidth
        if bytes > 0 {
            for p in 0..<size {
                (recv! + p * bytes).copyMemory(from: world.posts[p].ptr! + rank * bytes, byteCount: bytes)
            }
        }
        world.barrier()
    }

    public func rawAlltoallv(send: UnsafeRawPointer?, recv: UnsafeMutableRawPointer?,
                             layout: AlltoallvLayout, kind: ScalarKind) {
        world.post(rank, LocalWorld.Post(ptr: send, count: 0, layout: layout))
        world.barrier()
        let w = kind.byteWidth
        for p in 0..<size {
            let theirs = world.posts[p].layout!
            let n = Int(theirs.sendCounts[rank])
            precondition(n == Int(layout.recvCounts[p]),
                         "rank \(rank) expects \(layout.recvCounts[p]) elements from rank \(p), which sends \(n)")
            if n > 0 {
                (recv! + Int(layout.recvDispls[p]) * w)
                    .copyMemory(from: world.posts[p].ptr! + Int(theirs.sendDispls[rank]) * w, byteCount: n * w)
            }
        }
        world.barrier()
    }

    /// Locally the exchange completes at once; the wait is free.
    public func rawStartAlltoallv(send: UnsafeRawPointer?, recv: UnsafeMutableRawPointer?,
                                  layout: AlltoallvLayout, kind: ScalarKind, request: CommRequest) {
        rawAlltoallv(send: send, recv: recv, layout: layout, kind: kind)
    }

    /// Ranks as threads have no background progress: the reduction is done
    /// at the start (the same result, no overlap).
    public func rawStartAllreduce(_ buffer: UnsafeMutableRawPointer?, count: Int, kind: ScalarKind, op: ReduceOp,
                                  request: CommRequest) {
        rawAllreduce(buffer, count: count, kind: kind, op: op)
    }

    public func rawWait(_ request: CommRequest) {}

    public func rawAllgatherv(send: UnsafeRawPointer?, count: Int, recv: UnsafeMutableRawPointer?,
                              recvCounts: UnsafePointer<Int32>, recvDispls: UnsafePointer<Int32>, kind: ScalarKind) {
        world.post(rank, LocalWorld.Post(ptr: send, count: count))
        world.barrier()
        let w = kind.byteWidth
        for p in 0..<size {
            let n = world.posts[p].count
            precondition(n == Int(recvCounts[p]), "allgatherv: rank \(p) sends \(n), expected \(recvCounts[p])")
            if n > 0 { (recv! + Int(recvDispls[p]) * w).copyMemory(from: world.posts[p].ptr!, byteCount: n * w) }
        }
        world.barrier()
    }

    public func rawSend(_ buffer: UnsafeRawPointer?, count: Int, kind: ScalarKind, to dest: Int, tag: Int) {
        let bytes = count * kind.byteWidth
        let data = bytes > 0 ? Data(bytes: buffer!, count: bytes) : Data()
        world.mailbox.put(LocalWorld.Message(source: rank, dest: dest, tag: tag, kind: kind, count: count, data: data),
                          untilTaken: world.synchronousSends)
    }

    public func rawReceive(_ buffer: UnsafeMutableRawPointer?, count: Int, kind: ScalarKind, from source: Int, tag: Int) {
        let m = world.mailbox.take(dest: rank, source: source, tag: tag)
        precondition(m.count == count && m.kind == kind, "receive of \(count) \(kind) got \(m.count) \(m.kind)")
        if count > 0 { m.data.withUnsafeBytes { buffer!.copyMemory(from: $0.baseAddress!, byteCount: m.data.count) } }
    }

    public func rawProbe(from source: Int?, tag: Int, kind: ScalarKind) -> (source: Int, count: Int) {
        let m = world.mailbox.peek(dest: rank, source: source, tag: tag)
        return (m.source, m.count)
    }

    public func rawProbe(from source: Int?, tag: Int, kind: ScalarKind, waitingAtMost seconds: Double) -> (source: Int, count: Int)? {
        world.mailbox.peek(dest: rank, source: source, tag: tag, until: Date(timeIntervalSinceNow: seconds)).map { ($0.source, $0.count) }
    }

    public func split(color: Int, key: Int) -> Communicator? {
        world.post(rank, LocalWorld.Post(ptr: nil, count: 0, color: color, key: key))
        world.barrier()
        let mine = world.posts.enumerated().filter { $0.element.color == color }
            .sorted { ($0.element.key, $0.offset) < ($1.element.key, $1.offset) }.map(\.offset)
        // The first member of each group makes the group's world; the others pick it up.
        if color >= 0, mine.first == rank {
            world.setSplit(color: color, LocalWorld(size: mine.count, synchronousSends: world.synchronousSends))
        }
        world.barrier()
        let result: LocalCommunicator?
        if color >= 0 {
            result = LocalCommunicator(rank: mine.firstIndex(of: rank)!, world: world.split(color: color),
                                       worldRanks: mine.map { worldRanks[$0] }, ledger: ledger)
        } else {
            result = nil
        }
        world.barrier()
        if rank == 0 { world.clearSplits() }
        world.barrier()
        return result
    }

    /// Threads share the group's board in memory; rank 0 empties it between barriers.
    public func makeProgressBoard(directory: String?) throws -> ProgressBoard {
        if rank == 0 { world.progressBoard.reset() }
        world.barrier()
        return MemoryProgressBoard.View(world.progressBoard, rank: rank)
    }

    public func abort(code: Int32) -> Never {
        FileHandle.standardError.write("strata: rank \(worldRank) aborted the job (code \(code))\n".data(using: .utf8)!)
        exit(code)
    }
}

/// Results of `LocalCommunicator.run`, one slot per rank.
private final class ResultBox<R>: @unchecked Sendable {
    private let lock = NSLock()
    private(set) var values: [Result<R, Error>?]
    init(count: Int) { values = Array(repeating: nil, count: count) }
    func set(_ i: Int, _ r: Result<R, Error>) { lock.lock(); values[i] = r; lock.unlock() }
}
