import Foundation

/// The shared state of a `LocalCommunicator` group: a reusable barrier, one
/// posting slot per rank, a mailbox for point-to-point messages.
final class LocalWorld: @unchecked Sendable {
    struct Post {
        var ptr: UnsafeRawPointer?
        var count: Int
        var layout: AlltoallvLayout?
        var color = 0
        var key = 0
        init(ptr: UnsafeRawPointer?, count: Int, layout: AlltoallvLayout? = nil, color: Int = 0, key: Int = 0) {
            self.ptr = ptr; self.count = count; self.layout = layout; self.color = color; self.key = key
        }
    }

    struct Message {
        var source: Int, dest: Int, tag: Int
        var kind: ScalarKind
        var count: Int
        var data: Data
        var serial = 0
    }

    let size: Int
    /// A send returns only once its receiver has taken the message, as an
    /// MPI send above the eager limit does (rendezvous), so a test can catch
    /// a protocol that only works because sends are buffered.
    let synchronousSends: Bool
    private(set) var posts: [Post]
    let mailbox = Mailbox()
    /// The step watchdog's board (`LocalCommunicator.makeProgressBoard`).
    let progressBoard: MemoryProgressBoard
    private let condition = NSCondition()
    private var arrived = 0
    private var generation = 0
    private var splits: [Int: LocalWorld] = [:]

    init(size: Int, synchronousSends: Bool = false) {
        self.size = size
        self.synchronousSends = synchronousSends
        progressBoard = MemoryProgressBoard(size: size)
        posts = Array(repeating: Post(ptr: nil, count: 0), count: size)
    }

    /// Each rank writes only its own slot, between barriers.
    func post(_ rank: Int, _ p: Post) {
        condition.lock(); posts[rank] = p; condition.unlock()
    }

    func barrier() {
        if size == 1 { return }
        condition.lock()
        let gen = generation
        arrived += 1
        if arrived == size {
            arrived = 0
            generation += 1
            condition.broadcast()
        } else {
            while gen == generation { condition.wait() }
        }
        condition.unlock()
    }

    func setSplit(color: Int, _ w: LocalWorld) { condition.lock(); splits[color] = w; condition.unlock() }
    func split(color: Int) -> LocalWorld { condition.lock(); defer { condition.unlock() }; return splits[color]! }
    func clearSplits() { condition.lock(); splits.removeAll(); condition.unlock() }

    static func reduce(into acc: UnsafeMutableRawPointer, _ x: UnsafeRawPointer, count: Int, kind: ScalarKind, op: ReduceOp) {
        func apply<T: CommScalar>(_: T.Type) {
            let a = acc.assumingMemoryBound(to: T.self), b = x.assumingMemoryBound(to: T.self)
            for i in 0..<count {
                switch op {
                case .sum: a[i] = a[i] + b[i]
                case .min: a[i] = Swift.min(a[i], b[i])
                case .max: a[i] = Swift.max(a[i], b[i])
                }
            }
        }
        switch kind {
        case .float: apply(Float.self)
        case .double: apply(Double.self)
        case .int64: apply(Int64.self)
        case .int32: apply(Int32.self)
        case .uint8: apply(UInt8.self)
        case .uint16: apply(UInt16.self)
        }
    }

    /// Point-to-point messages, matched by (dest, source, tag) in send order.
    final class Mailbox: @unchecked Sendable {
        private let condition = NSCondition()
        private var queue: [Message] = []
        private var sent = 0

        /// Queues `m`; with `untilTaken`, returns once a receiver has taken it.
        func put(_ m: Message, untilTaken: Bool = false) {
            condition.lock(); defer { condition.unlock() }
            var m = m
            sent += 1
            m.serial = sent
            queue.append(m)
            condition.broadcast()
            while untilTaken && queue.contains(where: { $0.serial == m.serial }) { condition.wait() }
        }

        private func index(dest: Int, source: Int?, tag: Int) -> Int? {
            queue.firstIndex { $0.dest == dest && $0.tag == tag && (source == nil || $0.source == source) }
        }

        func take(dest: Int, source: Int, tag: Int) -> Message {
            condition.lock(); defer { condition.unlock() }
            while true {
                if let i = index(dest: dest, source: source, tag: tag) {
                    condition.broadcast()   // a synchronous sender waits for this
                    return queue.remove(at: i)
                }
                condition.wait()
            }
        }

        func peek(dest: Int, source: Int?, tag: Int) -> Message {
            condition.lock(); defer { condition.unlock() }
            while true {
                if let i = index(dest: dest, source: source, tag: tag) { return queue[i] }
                condition.wait()
            }
        }

        /// `peek`, giving up at `deadline`.
        func peek(dest: Int, source: Int?, tag: Int, until deadline: Date) -> Message? {
            condition.lock(); defer { condition.unlock() }
            while true {
                if let i = index(dest: dest, source: source, tag: tag) { return queue[i] }
                if !condition.wait(until: deadline) { return index(dest: dest, source: source, tag: tag).map { queue[$0] } }
            }
        }
    }
}
