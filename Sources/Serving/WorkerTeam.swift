import Foundation

/// `t` threads that run one job together and wait for each other: the
/// calling thread does part 0, t - 1 helpers the rest (fork-join). A model
/// instance of t threads splits each sub-batch over its team.
final class WorkerTeam: @unchecked Sendable {
    let size: Int
    private let condition = NSCondition()
    private var generation = 0
    private var pending = 0
    private var job: ((Int) -> Void)?
    private var stopping = false

    init(size: Int, name: String) {
        self.size = max(1, size)
        for part in 1..<self.size {
            // The helper owns its team until it returns (after `stop`), so the team is
            // never freed under a helper still waking from its condition.
            let t = Thread { self.helper(part: part) }
            t.name = "\(name)-t\(part)"
            t.start()
        }
    }

    /// Runs `body(part)` for every part in 0..<size, part 0 on the caller.
    func run(_ body: @escaping (Int) -> Void) {
        guard size > 1 else { body(0); return }
        condition.lock()
        job = body
        pending = size - 1
        generation += 1
        condition.broadcast()
        condition.unlock()
        body(0)
        condition.lock()
        while pending > 0 { condition.wait() }
        job = nil
        condition.unlock()
    }

    private func helper(part: Int) {
        var seen = 0
        while true {
            condition.lock()
            while generation == seen && !stopping { condition.wait() }
            if stopping { condition.unlock(); return }
            seen = generation
            let body = job!
            condition.unlock()
            body(part)
            condition.lock()
            pending -= 1
            if pending == 0 { condition.broadcast() }
            condition.unlock()
        }
    }

    func stop() {
        condition.lock()
        stopping = true
        condition.broadcast()
        condition.unlock()
    }
}
