/// Dominance over a function's CFG, computed from its terminators' labels:
/// the iterative data-flow form (dom(entry) = {entry}, dom(b) = {b} plus the
/// intersection over b's predecessors), enough for kernels of a few dozen blocks.
/// A block the entry does not reach keeps "everything dominates it", as LLVM's
/// verifier treats unreachable code.
struct Dominance {
    /// dominators[b][a] is true when block a dominates block b.
    let dominators: [[Bool]]
    /// Block and index within the block of each placed instruction (by instruction index).
    let position: [Int: (block: Int, index: Int)]

    init(_ f: IRFunction) {
        let n = f.blocks.count
        var preds = Array(repeating: [Int](), count: n)
        for (b, succ) in f.successors.enumerated() { for s in succ where s < n { preds[s].append(b) } }
        var dom = Array(repeating: Array(repeating: true, count: n), count: n)
        if n > 0 { dom[0] = (0..<n).map { $0 == 0 } }
        var changed = true
        while changed {
            changed = false
            for b in 1..<max(n, 1) where b < n {
                var new = Array(repeating: true, count: n)
                var reached = false
                for p in preds[b] {
                    reached = true
                    for a in 0..<n where !dom[p][a] { new[a] = false }
                }
                if !reached { continue }
                new[b] = true
                if new != dom[b] { dom[b] = new; changed = true }
            }
        }
        dominators = dom
        var pos: [Int: (Int, Int)] = [:]
        for (b, block) in f.blocks.enumerated() {
            var k = 0
            for i in block.order where !f.instructions[i].deleted {
                pos[i] = (b, k)
                k += 1
            }
        }
        position = pos
    }

    /// Does the value `name` (an argument or a placed instruction) dominate the use by instruction `use`?
    func dominates(_ name: String, use: Int) -> Bool {
        if name.hasPrefix("a") { return true }
        guard let id = Int(name.dropFirst()), let d = position[id], let u = position[use] else { return false }
        if d.block == u.block { return d.index < u.index }
        return dominators[u.block][d.block]
    }

    /// Does it dominate the end of `block` (a phi's incoming value)?
    func dominatesEnd(_ name: String, of block: Int) -> Bool {
        if name.hasPrefix("a") { return true }
        guard let id = Int(name.dropFirst()), let d = position[id], block < dominators.count else { return false }
        return dominators[block][d.block]
    }
}
