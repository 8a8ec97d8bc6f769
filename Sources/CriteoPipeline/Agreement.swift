import Collectives

/// Runs `body` on every rank and agrees on the outcome: when any rank failed,
/// every rank throws the lowest failing rank's message as an `InputError`
/// (rank 0 prints it once), instead of the failed rank leaving the others
/// waiting in the next collective.
func agreed<T>(_ comm: Communicator, _ body: () throws -> T) throws -> T {
    let result = Result { try body() }
    var mine = Int64(comm.size)
    if case .failure = result { mine = Int64(comm.rank) }
    let first = Int(comm.allreduce(.control, mine, op: .min))
    if first == comm.size, case let .success(value) = result { return value }
    var message: [UInt8] = []
    if case let .failure(error) = result, first == comm.rank { message = Array("\(error)".utf8) }
    let text = String(decoding: comm.broadcast(.control, bytes: message, root: first), as: UTF8.self)
    throw InputError(comm.size > 1 ? "rank \(first): \(text)" : text)
}
