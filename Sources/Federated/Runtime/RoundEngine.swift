import Collectives
import Foundation
import Tensors

/// What became of one client a round asked to train.
public enum ClientOutcome: Sendable, Equatable {
    case ok
    /// It threw; the message is the error's.
    case failed(String)
    /// Its update or loss was not finite.
    case nonFinite

    public var tag: String {
        switch self {
        case .ok: return "ok"
        case .failed: return "error"
        case .nonFinite: return "nan"
        }
    }
}

public struct ClientResult: Sendable, Equatable {
    public var client: Int
    public var outcome: ClientOutcome
    public var samples: Int
    public var loss: Double
    /// Where the packed update's values go in the flat vector: (start, count) pairs.
    public var segments: [Int] = []
    public var packedCount: Int { stride(from: 1, to: segments.count, by: 2).reduce(0) { $0 + segments[$1] } }
}

/// The round protocol on a communicator: rank 0 the server, ranks 1...R-1 host
/// clients (a world of one: the server hosts them itself).
///
/// One round of task t:
///
///     server: broadcast header [1, t, round, P, first, (client, epochs, batch) x P] and [(lr, mu) x P]
///     server: broadcast the task's global model (flat floats)
///     participant j (in the server's order) trains on host 1 + (first + j) % (R-1),
///       one after another on each host; with a payload, the server sends it
///       first (at most one outstanding per host, so nothing deadlocks);
///     host -> server, per participant: [status, samples, loss] (tag 2), then
///       the error text (tag 3), or the update's segments (tag 5: (start,
///       count) pairs of the flat vector) and their packed values (tag 4).
///       A DLRM client moves its dense part and the few table rows its
///       samples touched, so that is what crosses, not the whole vector.
///
/// The server's side comes in two halves, `startRound` (header and model
/// out) and `finishRound` (payloads out, results in), so a driver can start
/// rounds on several engines before finishing any (`LeafGroups`); a host
/// syncs its task to the model when it starts training, not when it takes it.
/// Header [3, words...] (`announcePhase`) hands the hosts to the driver's
/// handler, which tells them which other engines' rounds come next.
///
/// An evaluation round (`serverEvaluate`, RoundEngine+Evaluate.swift) sends
/// header [2, t, round, P, bins, client x P] and the model; each client
/// returns only its statistics (`EvalStats`).
///
/// The server takes the results in participant order, whichever host trained
/// them, so its aggregation (and the final model's bytes) are the same on any
/// world size. Every byte goes through the communicator's ledger under
/// `.federated`. Hosts keep one buffer per task for the global model and one
/// for the update: memory follows the model, not the clients. A host that
/// trains ahead (`hostTrainAhead`, FEL's leaves) also holds its share of one
/// round's updates, which follows the round's participants, not the population.
///
/// With a `watch` (round_timeout_seconds), every rank starts a new round
/// of it at each training header (1) and announced phase (3) and reaches its
/// evaluation at each evaluation header (2): the server as it sends the
/// header, a host as it takes it. Only the world's engine is watched (a FEL
/// leaf's rounds fall within the world's announced phase).
public final class RoundEngine {
    public let comm: Communicator
    public let tasks: [FederatedTask]
    public let watch: PhaseWatch?
    var hostGlobal: [FlatBuffer<Float>] = []
    var updateBuffer: [FlatBuffer<Float>]

    public init(comm: Communicator, tasks: [FederatedTask], watch: PhaseWatch? = nil) {
        self.comm = comm
        self.tasks = tasks
        self.watch = watch
        updateBuffer = tasks.map { FlatBuffer(count: $0.parameterCount) }
        if comm.rank != 0 { hostGlobal = tasks.map { FlatBuffer(count: $0.parameterCount) } }
    }

    public var isServer: Bool { comm.rank == 0 }
    var hosts: Int { max(comm.size - 1, 1) }
    /// The host of participant j, counting positions from `first` (a driver
    /// running several engines' rounds at once numbers their participants
    /// on from one another, so the hosts' shares stay even across them).
    func host(ofPosition j: Int, from first: Int = 0) -> Int { comm.size == 1 ? 0 : 1 + (first + j) % (comm.size - 1) }

    // MARK: Server

    /// Runs one round of `task` on `clients` from `global`; calls `accept` in
    /// participant order with each result and, when ok, its packed update
    /// (`result.segments` says where its values go).
    public func serverRound(task t: Int, round: Int, clients: [Int], configs: [ClientRoundConfig],
                            global: FlatBuffer<Float>, payload: (Int) -> [Float] = { _ in [] },
                            accept: (Int, ClientResult, UnsafeMutablePointer<Float>?) -> Void) {
        let started = startRound(task: t, round: round, clients: clients, configs: configs, global: global)
        finishRound(started, payload: payload, accept: accept)
    }

    /// A round's first half on the server: the header and the model go out,
    /// so its hosts start training. Several engines' rounds can be started
    /// before any is finished (FEL's leaves on their own communicators), so
    /// disjoint hosts train at the same time. `global` must stay unchanged
    /// until `finishRound`.
    public func startRound(task t: Int, round: Int, clients: [Int], configs: [ClientRoundConfig],
                           global: FlatBuffer<Float>, firstPosition: Int = 0) -> StartedRound {
        precondition(isServer && clients.count == configs.count && firstPosition >= 0)
        watch?.next()
        let started = StartedRound(task: t, round: round, clients: clients, configs: configs, global: global,
                                   firstPosition: firstPosition)
        guard comm.size > 1 else { return started }
        var header: [Int64] = [1, Int64(t), Int64(round), Int64(clients.count), Int64(firstPosition)]
        var reals: [Double] = []
        for (c, cfg) in zip(clients, configs) {
            header += [Int64(c), Int64(cfg.epochs), Int64(cfg.batch)]
            reals += [cfg.learningRate, cfg.proximalMu]
        }
        _ = comm.broadcast(.federated, header, root: 0)
        _ = comm.broadcast(.federated, reals, root: 0)
        comm.broadcast(.federated, global.buffer, root: 0)
        return started
    }

    /// A round's second half on the server: payloads out (a host's first one
    /// here, not in `startRound`, so a host in several engines' rounds is never
    /// sent one before it reaches that round), results in, in participant order.
    public func finishRound(_ s: StartedRound, payload: (Int) -> [Float] = { _ in [] },
                            accept: (Int, ClientResult, UnsafeMutablePointer<Float>?) -> Void) {
        let t = s.task, task = tasks[t], clients = s.clients, P = clients.count
        if comm.size == 1 {
            task.beginRound(global: s.global.pointer)
            for j in 0..<P {
                let r = runClient(task, clients[j], s.round, s.configs[j], UnsafePointer(s.global.pointer), payload(clients[j]), updateBuffer[t].pointer)
                accept(j, r, r.outcome == .ok ? updateBuffer[t].pointer : nil)
            }
            return
        }
        if task.needsPayload {
            for j in 0..<min(hosts, P) { comm.send(.federated, payload(clients[j]), to: host(ofPosition: j, from: s.firstPosition), tag: 1) }
        }
        var status = [Double](repeating: 0, count: 3)
        let upd = updateBuffer[t]
        for j in 0..<P {
            let h = host(ofPosition: j, from: s.firstPosition)
            status.withUnsafeMutableBufferPointer { comm.receive(.federated, $0, from: h, tag: 2) }
            let code = Int(status[0])
            var result = ClientResult(client: clients[j], outcome: .ok, samples: Int(status[1]), loss: status[2])
            if code == 1 {
                let (_, text): (Int, [UInt8]) = comm.receiveArray(.federated, from: h, tag: 3)
                result.outcome = .failed(String(decoding: text, as: UTF8.self))
            } else if code == 2 {
                result.outcome = .nonFinite
            } else {
                let (_, seg): (Int, [Int64]) = comm.receiveArray(.federated, from: h, tag: 5)
                result.segments = seg.map { Int($0) }
                let n = result.packedCount
                precondition(n <= upd.count, "update of \(n) floats for a model of \(upd.count)")
                comm.receive(.federated, UnsafeMutableBufferPointer(start: upd.pointer, count: n), from: h, tag: 4)
            }
            // The next payload for this host, now that it is free for it.
            if task.needsPayload, j + hosts < P { comm.send(.federated, payload(clients[j + hosts]), to: h, tag: 1) }
            accept(j, result, result.outcome == .ok ? upd.pointer : nil)
        }
    }

    /// Real bytes the server's ledger holds for the phase `federated` so far.
    public func federatedBytes() -> Int {
        let t = comm.ledger.runIncludingCurrentStep()[CommPhase.federated.rawValue]
        return t.bytesSent + t.bytesReceived + t.collectiveBytes
    }

    /// Tells the hosts to run `serve`'s `phase` handler with `words` (header
    /// 3): how a driver with engines of its own (FEL's leaves) says which of
    /// them the hosts follow next.
    public func announcePhase(_ words: [Int64]) {
        guard isServer else { return }
        watch?.next()
        guard comm.size > 1 else { return }
        _ = comm.broadcast(.federated, [3] + words, root: 0)
    }

    /// Tells the hosts to leave `serve()`.
    public func stopHosts() {
        guard isServer, comm.size > 1 else { return }
        _ = comm.broadcast(.federated, [Int64(0)], root: 0)
    }

    // MARK: Hosts

    /// A host's loop: train (header 1) or evaluate (header 2) the clients each
    /// round assigns here, or run `phase` on an announced phase (header 3),
    /// until the server stops (header 0).
    public func serve(phase: ([Int64]) -> Void = { preconditionFailure("phase \($0) announced to a host without a handler") }) {
        precondition(!isServer)
        while true {
            let header = comm.broadcast(.federated, [Int64](), root: 0)
            switch header.first {
            case 1: watch?.next(); hostTrainRound(header)
            case 2: watch?.reach(.evaluation); hostEvalRound(header)
            case 3: watch?.next(); phase(Array(header.dropFirst()))
            default: return
            }
        }
    }

    /// One training round on a host: its share of the participants, in order.
    func hostTrainRound(_ header: [Int64]) { hostFinishRound(hostStartRound(header)) }

    /// For an engine whose rounds are announced elsewhere (a leaf federation's,
    /// see `LeafGroups`): waits for the server's next training round here and
    /// takes its header and model, without training yet.
    func hostStartRound() -> HostRound {
        let header = comm.broadcast(.federated, [Int64](), root: 0)
        precondition(header.first == 1, "expected a training round, got header \(header.first ?? -1)")
        return hostStartRound(header)
    }

    /// A training round's first half on a host: the round's configs and model.
    func hostStartRound(_ header: [Int64]) -> HostRound {
        let reals = comm.broadcast(.federated, [Double](), root: 0)
        let t = Int(header[1])
        comm.broadcast(.federated, hostGlobal[t].buffer, root: 0)
        return HostRound(header: header, reals: reals)
    }

    /// A training round's second half on a host: its participants, in order,
    /// each result sent as soon as it is trained (a payload task needs the
    /// server's payload before each client, so it cannot train ahead).
    /// The task syncs to the model here, not at the start, since a host in
    /// several leaves' rounds shares one task model among them.
    func hostFinishRound(_ h: HostRound) {
        let t = Int(h.header[1]), upd = updateBuffer[t]
        forEachParticipant(h) { client, round, cfg in
            let payload: [Float] = tasks[t].needsPayload ? comm.receiveArray(.federated, from: 0, tag: 1).values : []
            let r = runClient(tasks[t], client, round, cfg, UnsafePointer(hostGlobal[t].pointer), payload, upd.pointer)
            sendResult(r, UnsafeBufferPointer(start: upd.pointer, count: r.outcome == .ok ? r.packedCount : 0))
        }
    }

    /// A host's results of a round trained ahead (`hostTrainAhead`) and held
    /// until `hostSendTrained`: a leaf's host keeps training while the server
    /// takes another leaf's results, instead of waiting at its first send
    /// until the server reaches its leaf (which made the leaves take turns).
    /// The buffers keep their capacity between rounds, so memory follows the
    /// largest round's share of this host, not the clients it hosts.
    struct Outbox {
        var results: [ClientResult] = []
        var values: [Float] = []
    }
    var outbox = Outbox()

    /// Trains this host's participants of the round into the outbox.
    func hostTrainAhead(_ h: HostRound) {
        let t = Int(h.header[1]), upd = updateBuffer[t]
        precondition(!tasks[t].needsPayload, "a payload task trains one client per payload (hostFinishRound)")
        outbox.results.removeAll(keepingCapacity: true)
        outbox.values.removeAll(keepingCapacity: true)
        forEachParticipant(h) { client, round, cfg in
            let r = runClient(tasks[t], client, round, cfg, UnsafePointer(hostGlobal[t].pointer), [], upd.pointer)
            outbox.results.append(r)
            if r.outcome == .ok { outbox.values.append(contentsOf: UnsafeBufferPointer(start: upd.pointer, count: r.packedCount)) }
        }
    }

    /// Sends the outbox's results in participant order.
    func hostSendTrained() {
        var at = 0
        outbox.values.withUnsafeBufferPointer { values in
            for r in outbox.results {
                let n = r.outcome == .ok ? r.packedCount : 0
                sendResult(r, UnsafeBufferPointer(rebasing: values[at..<at + n]))
                at += n
            }
        }
    }

    /// Calls `body` with each of this host's participants of the round, in
    /// order, after syncing the task to the round's model.
    func forEachParticipant(_ h: HostRound, _ body: (_ client: Int, _ round: Int, ClientRoundConfig) -> Void) {
        let header = h.header, reals = h.reals
        let t = Int(header[1]), round = Int(header[2]), P = Int(header[3]), first = Int(header[4])
        tasks[t].beginRound(global: hostGlobal[t].pointer)
        var j = ((comm.rank - 1) - first % hosts + hosts) % hosts   // the first j with host(ofPosition: j, from: first) == rank
        while j < P {
            body(Int(header[5 + 3 * j]), round,
                 ClientRoundConfig(epochs: Int(header[6 + 3 * j]), batch: Int(header[7 + 3 * j]),
                                   learningRate: reals[2 * j], proximalMu: reals[2 * j + 1]))
            j += hosts
        }
    }

    /// One client's result to the server: status, then the error text or the
    /// update's segments and packed values (`values`, empty unless ok).
    func sendResult(_ r: ClientResult, _ values: UnsafeBufferPointer<Float>) {
        switch r.outcome {
        case .ok:
            comm.send(.federated, [0, Double(r.samples), r.loss], to: 0, tag: 2)
            comm.send(.federated, r.segments.map { Int64($0) }, to: 0, tag: 5)
            comm.send(.federated, values, to: 0, tag: 4)
        case .failed(let why):
            comm.send(.federated, [1, Double(r.samples), 0], to: 0, tag: 2)
            comm.send(.federated, Array(why.utf8), to: 0, tag: 3)
        case .nonFinite:
            comm.send(.federated, [2, Double(r.samples), 0], to: 0, tag: 2)
        }
    }

    /// Trains one client, turning a throw or a non-finite result into its outcome.
    func runClient(_ task: FederatedTask, _ client: Int, _ round: Int, _ cfg: ClientRoundConfig,
                   _ global: UnsafePointer<Float>, _ payload: [Float], _ update: UnsafeMutablePointer<Float>) -> ClientResult {
        do {
            var segments: [Int] = []
            let (n, loss) = try task.train(client: client, round: round, config: cfg, global: global, payload: payload,
                                           update: update, segments: &segments)
            var r = ClientResult(client: client, outcome: .ok, samples: n, loss: loss, segments: segments)
            // The largest exponent field: all ones means inf or NaN. An integer
            // max reduction vectorises (a float sum would not be reassociated).
            var top: UInt32 = 0
            for i in 0..<r.packedCount { top = max(top, update[i].bitPattern & 0x7F80_0000) }
            if !loss.isFinite || top == 0x7F80_0000 { r.outcome = .nonFinite }
            return r
        } catch {
            return ClientResult(client: client, outcome: .failed("\(error)"), samples: 0, loss: 0)
        }
    }
}
