import Foundation

/// The one coordinator that hands work to worker groups split off a world
/// (sweep points, GEVO's variants): rank 0 coordinates, the other ranks form
/// groups of `groupSize` consecutive ranks, each a communicator of its own.
///
/// Messages (world communicator, under the caller's phase):
///
///     coordinator --(tag 71: WorkMessage JSON)--> group leader (group rank 0)
///     leader --(group broadcast)--> the rest of its group
///     leader --(tag 72: ResultMessage JSON)--> coordinator
///
/// A work message without an item is the stop message. The coordinator hands
/// the items out in the order given, as groups come free, and never does the
/// work itself, except in a world of one, where it runs every item in order
/// (`dispatch`'s `local`). Results come back tagged with their item's index, so
/// what the caller builds from them does not depend on which group was faster.
///
///     let groups = try WorkGroups(world: world, groupSize: 1, phase: .sweep)
///     if groups.isCoordinator {
///         try groups.dispatch(items, local: work) { index, result, group in ... }
///         groups.stop()
///     } else {
///         try groups.serve { (item: Item, group: Communicator, index: Int) in work(item) }
///     }
public final class WorkGroups {
    public let world: Communicator
    public let groupSize: Int
    public let phase: CommPhase
    /// This rank's worker group; nil on the coordinator.
    public let group: Communicator?
    /// The number of worker groups (0 in a world of one).
    public let groupCount: Int
    /// When the coordinator last looked for a result, and before when no item
    /// is overdue (`nextResult`: after this coordinator was itself stopped).
    private var lastLook: Date?
    private var graceUntil = Date.distantPast

    static let workTag = 71
    static let resultTag = 72

    struct WorkMessage<Item: Codable>: Codable {
        var index: Int?
        var item: Item?
    }

    struct ResultMessage<Result: Codable>: Codable {
        var index: Int
        var result: Result
    }

    /// JSON that carries non-finite numbers (an invalid variant's infinite runtime) as strings.
    static func encoder() -> JSONEncoder { StrataJSON.encoder(pretty: false, snakeCase: false) }

    static func decoder() -> JSONDecoder { StrataJSON.decoder() }

    /// Collective over `world`: splits the worker ranks into groups.
    public init(world: Communicator, groupSize: Int, phase: CommPhase) throws {
        guard groupSize >= 1 else { throw InputError("group size must be at least 1, got \(groupSize)") }
        let workers = world.size - 1
        guard workers % groupSize == 0 else {
            throw InputError("group_size \(groupSize) does not divide the \(workers) worker ranks "
                             + "(world size \(world.size) minus the coordinator)")
        }
        self.world = world
        self.groupSize = groupSize
        self.phase = phase
        groupCount = workers / groupSize
        let isCoordinator = world.rank == 0
        group = world.split(color: isCoordinator ? -1 : (world.rank - 1) / groupSize, key: world.rank)
    }

    public var isCoordinator: Bool { world.rank == 0 }
    /// This worker's group index (0-based); nil on the coordinator.
    public var groupIndex: Int? { isCoordinator ? nil : (world.rank - 1) / groupSize }

    /// Worker ranks: run each item handed to this group (on every rank of the
    /// group) until the stop message; the group leader sends the result back.
    public func serve<Item: Codable, Result: Codable>(_ work: (Item, Communicator, Int) throws -> Result) throws {
        guard let group, let groupIndex else { return }
        while true {
            var bytes: [UInt8] = []
            if group.rank == 0 { bytes = world.receiveArray(phase, from: 0, tag: Self.workTag).values }
            bytes = group.broadcast(phase, bytes: bytes, root: 0)
            let message = try Self.decoder().decode(WorkMessage<Item>.self, from: Data(bytes))
            guard let index = message.index, let item = message.item else { return }
            let result = try work(item, group, groupIndex)
            if group.rank == 0 {
                let reply = ResultMessage(index: index, result: result)
                world.send(phase, Array(try Self.encoder().encode(reply)), to: 0, tag: Self.resultTag)
            }
        }
    }

    /// Coordinator: runs `items` over the groups; `done(index, result, group)`
    /// is called as each result arrives (group -1 when run locally). In a world
    /// of one the items run here, in order, through `local` (an error if nil).
    /// `limit`: an item whose result has not come back that many seconds after
    /// it was handed out throws `WorkOverdue` naming it and its group's ranks
    /// (a stopped or hung worker would otherwise hold the coordinator forever).
    public func dispatch<Item: Codable, Result: Codable>(_ items: [Item], local: ((Item) throws -> Result)?,
                                                        limit: WorkOverdue.Limit? = nil,
                                                        done: (Int, Result, Int) throws -> Void) throws {
        precondition(isCoordinator, "dispatch runs on the coordinator (world rank 0)")
        if groupCount == 0 {
            guard let local else { throw InputError("this work needs at least 2 ranks (a coordinator and one worker group); got 1") }
            for (i, item) in items.enumerated() { try done(i, try local(item), -1) }
            return
        }
        var next = 0, received = 0
        var busy: [Int: (index: Int, since: Date)] = [:]   // by leader
        var idle = (0..<groupCount).map { 1 + $0 * groupSize }.reversed().map { $0 }
        while next < items.count || !busy.isEmpty {
            while next < items.count, let leader = idle.popLast() {
                let message = WorkMessage(index: next, item: items[next])
                world.send(phase, Array(try Self.encoder().encode(message)), to: leader, tag: Self.workTag)
                busy[leader] = (next, Date())
                next += 1
            }
            let (leader, bytes) = try nextResult(busy: busy, limit: limit)
            busy[leader] = nil
            let reply = try Self.decoder().decode(ResultMessage<Result>.self, from: Data(bytes))
            idle.append(leader)
            try done(reply.index, reply.result, (leader - 1) / groupSize)
            received += 1
            // The tests' hook: the coordinator stops after its Nth result ("point:1", "training:1").
            TestPause.check(rank: world.rank, at: WatchPoint(step: received), unit: WatchUnit(noun: limit?.noun ?? "item", key: ""))
        }
    }

    /// The next result message (its leader and bytes), waiting without end
    /// when there is no limit, else at most until the oldest item is overdue.
    /// While it waits it looks at least every `stoppedGap / 2`; a longer gap
    /// (`stoppedGap`) since it last looked means this coordinator was itself
    /// stopped (or its results took that long to take in): what its clock says
    /// of the workers over the gap is nothing, and the results may be waiting,
    /// so no item is overdue for one more limit. Without it a coordinator woken
    /// by the job's end (which continues a stopped rank before killing it)
    /// blamed a healthy worker. A stopped coordinator is silent for at least a
    /// limit before the workers end the job, so the gap is half a limit (at
    /// most 4 s, at least 1.5 s so that a loaded machine's scheduling is not
    /// taken for a stop): a fixed 4 s missed every stop under a 4 s limit.
    func nextResult(busy: [Int: (index: Int, since: Date)], limit: WorkOverdue.Limit?) throws -> (Int, [UInt8]) {
        guard let limit else { return world.receiveArray(phase, from: nil, tag: Self.resultTag) }
        let stoppedGap = Self.stoppedGap(limit.seconds)
        while true {
            let now = Date()
            if let last = lastLook, now.timeIntervalSince(last) > stoppedGap { graceUntil = now.addingTimeInterval(limit.seconds) }
            lastLook = now
            let oldest = busy.min { ($0.value.since, $0.key) < ($1.value.since, $1.key) }!
            let left = max(limit.seconds - now.timeIntervalSince(oldest.value.since), graceUntil.timeIntervalSince(now))
            if left <= 0 {
                let ranks = Array(oldest.key..<(oldest.key + groupSize))
                throw WorkOverdue(item: oldest.value.index, group: (oldest.key - 1) / groupSize, ranks: ranks, limit: limit)
            }
            if let got: (source: Int, values: [UInt8]) = world.receiveArray(phase, from: nil, tag: Self.resultTag,
                                                                           waitingAtMost: min(left, stoppedGap / 2)) {
                return (got.source, got.values)
            }
        }
    }

    /// The gap between two looks that means the coordinator was stopped: half
    /// a limit, within 1.5...4 s (see `nextResult`).
    static func stoppedGap(_ limit: Double) -> Double { min(4, max(1.5, limit / 2)) }

    /// Coordinator: sends every group the stop message.
    public func stop() {
        guard isCoordinator else { return }
        let stopBytes = Array((try? Self.encoder().encode(WorkMessage<Int>(index: nil, item: nil))) ?? Data())
        for g in 0..<groupCount {
            world.send(phase, stopBytes, to: 1 + g * groupSize, tag: Self.workTag)
        }
    }
}
