import Collectives

/// Counts checks on every rank and agrees on the totals.
struct Checks {
    let comm: Communicator
    var passed = 0
    var failed = 0

    init(comm: Communicator) { self.comm = comm }

    mutating func expect(_ ok: Bool, _ what: @autoclosure () -> String) {
        if ok { passed += 1 } else {
            failed += 1
            MPIErrorPrinter.print("rank \(comm.rank): FAILED: \(what())")
        }
    }

    func finish(suite: String) throws {
        let totals = comm.allreduce(.control, [Int64(passed), Int64(failed)])
        if comm.rank == 0 { print("\(suite): \(totals[0]) passed, \(totals[1]) failed") }
        if totals[1] > 0 { throw InputError("\(suite): \(totals[1]) checks failed") }
    }
}

enum MPIErrorPrinter {
    static func print(_ s: String) { Swift.print(s) }
}
