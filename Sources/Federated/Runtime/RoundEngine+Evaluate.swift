import Collectives
import Tensors

/// What became of one client asked to evaluate.
public enum ClientEvalResult: Sendable, Equatable {
    case ok(EvalStats)
    /// It threw, or its logloss was not finite; the reason.
    case failed(String)
}

/// The evaluation round (Flower's `evaluate_round`): the model goes out as in
/// training, each client scores its own test split on its host and only its
/// `EvalStats` come back, in participant order, so the server's sums are the
/// same on any world size.
///
///     server: broadcast header [2, t, round, P, bins, client x P], then the model
///     participant j evaluates on host 1 + j % (R-1)
///     host -> server, per participant: [0, stats.wire...] (tag 6),
///       or [1] (tag 6) and the error text (tag 3)
extension RoundEngine {
    public func serverEvaluate(task t: Int, round: Int, clients: [Int], bins: Int, global: FlatBuffer<Float>,
                               accept: (Int, ClientEvalResult) -> Void) {
        precondition(isServer)
        watch?.reach(.evaluation)
        let task = tasks[t], P = clients.count
        if comm.size == 1 {
            task.beginRound(global: global.pointer)
            for j in 0..<P { accept(j, evaluateClient(task, clients[j], round, UnsafePointer(global.pointer), bins)) }
            return
        }
        _ = comm.broadcast(.federated, [2, Int64(t), Int64(round), Int64(P), Int64(bins)] + clients.map { Int64($0) }, root: 0)
        comm.broadcast(.federated, global.buffer, root: 0)
        for j in 0..<P {
            let h = host(ofPosition: j)
            let (_, msg): (Int, [Double]) = comm.receiveArray(.federated, from: h, tag: 6)
            if msg.first == 0 {
                // A host of this build never sends a malformed message; a mismatch is a bug, so it stops here.
                guard let stats = EvalStats(wire: Array(msg.dropFirst()), bins: bins) else {
                    preconditionFailure("client \(clients[j]): malformed evaluation message of \(msg.count) values")
                }
                accept(j, .ok(stats))
            } else {
                let (_, text): (Int, [UInt8]) = comm.receiveArray(.federated, from: h, tag: 3)
                accept(j, .failed(String(decoding: text, as: UTF8.self)))
            }
        }
    }

    /// One evaluation round on a host: its share of the participants, in order.
    func hostEvalRound(_ header: [Int64]) {
        let t = Int(header[1]), round = Int(header[2]), P = Int(header[3]), bins = Int(header[4])
        let task = tasks[t], global = hostGlobal[t]
        comm.broadcast(.federated, global.buffer, root: 0)
        task.beginRound(global: global.pointer)
        var j = comm.rank - 1
        while j < P {
            switch evaluateClient(task, Int(header[5 + j]), round, UnsafePointer(global.pointer), bins) {
            case .ok(let stats):
                comm.send(.federated, [0] + stats.wire, to: 0, tag: 6)
            case .failed(let why):
                comm.send(.federated, [Double(1)], to: 0, tag: 6)
                comm.send(.federated, Array(why.utf8), to: 0, tag: 3)
            }
            j += hosts
        }
    }

    /// Evaluates one client, turning a throw or a non-finite logloss into a failure.
    func evaluateClient(_ task: FederatedTask, _ client: Int, _ round: Int, _ global: UnsafePointer<Float>, _ bins: Int) -> ClientEvalResult {
        do {
            let stats = try task.evaluate(client: client, round: round, global: global, bins: bins)
            return stats.loglossSum.isFinite ? .ok(stats) : .failed("non-finite eval logloss")
        } catch {
            return .failed("\(error)")
        }
    }
}
