import ScalingLaws
import Tensors

extension IRFunction {
    /// What happened to one edit.
    public enum EditOutcome: Sendable, Equatable {
        case applied
        /// The edit does not fit this variant (a target already deleted, types that
        /// differ, no operand to replace, an operand no value can repair): it is
        /// left out and the function is unchanged.
        case skipped
    }

    /// Applies `edits` in order; returns each edit's outcome.
    @discardableResult
    public mutating func apply(_ edits: [Edit]) -> [EditOutcome] {
        edits.map { apply($0) }
    }

    /// Applies one edit and repairs the function; on `.skipped` nothing changed.
    public mutating func apply(_ edit: Edit) -> EditOutcome {
        var f = self
        var rng = StrataRNG(seed: edit.seed &* 0x9E37_79B9_7F4A_7C15 &+ 0x5151)
        guard f.applyRaw(edit, rng: &rng), f.repair(rng: &rng) else { return .skipped }
        self = f
        return .applied
    }

    func live(_ id: Int) -> Bool {
        id >= 0 && id < originalCount && instructions[id].isEditable && !instructions[id].deleted
    }

    /// The block and index in `blocks[block].order` of instruction `id`.
    func slot(of id: Int) -> (block: Int, index: Int)? {
        for (b, block) in blocks.enumerated() {
            if let k = block.order.firstIndex(of: id) { return (b, k) }
        }
        return nil
    }

    private mutating func applyRaw(_ e: Edit, rng: inout StrataRNG) -> Bool {
        switch e.kind {
        case .delete:
            guard live(e.a) else { return false }
            // A value of unknown type could not have its uses re-pointed.
            if instructions[e.a].hasResult && instructions[e.a].type == nil { return false }
            instructions[e.a].deleted = true
        case .insert:
            guard live(e.a), live(e.b), let at = slot(of: e.a) else { return false }
            if instructions[e.b].hasResult && instructions[e.b].type == nil { return false }
            var copy = instructions[e.b]
            copy.id = instructions.count
            instructions.append(copy)
            blocks[at.block].order.insert(copy.id, at: at.index)
        case .replace:
            guard live(e.a), live(e.b), e.a != e.b else { return false }
            let (x, y) = (instructions[e.a], instructions[e.b])
            guard x.hasResult == y.hasResult, !x.hasResult || (x.type != nil && x.type == y.type) else { return false }
            instructions[e.a].opcode = y.opcode
            instructions[e.a].pieces = y.pieces
        case .swap:
            guard live(e.a), live(e.b), e.a != e.b, let p = slot(of: e.a), let q = slot(of: e.b) else { return false }
            blocks[p.block].order[p.index] = e.b
            blocks[q.block].order[q.index] = e.a
        case .move:
            guard live(e.a), live(e.b), e.a != e.b, let q = slot(of: e.b) else { return false }
            blocks[q.block].order.remove(at: q.index)
            guard let p = slot(of: e.a) else { return false }
            blocks[p.block].order.insert(e.b, at: p.index)
        case .operand:
            guard live(e.a) else { return false }
            let ops = instructions[e.a].valueOperands
            guard !ops.isEmpty, e.operand >= 0 else { return false }
            let (piece, current) = ops[e.operand % ops.count]
            guard let t = type(of: current) else { return false }
            let dom = Dominance(self)
            let choices = candidates(type: t, dom: dom, use: e.a, incoming: nil).filter { $0 != .value(current) }
            guard !choices.isEmpty else { return false }
            instructions[e.a].pieces[piece] = choices[rng.nextIndex(below: choices.count)]
        }
        return true
    }

    /// Same-typed values that dominate the use (arguments, then instructions by
    /// id), then the constants 0 and 1 of the type.
    func candidates(type t: String, dom: Dominance, use: Int, incoming: Int?) -> [Piece] {
        var out: [Piece] = []
        for (k, at) in argumentTypes.enumerated() where at == t { out.append(.value("a\(k)")) }
        for ins in instructions where ins.hasResult && !ins.deleted && ins.type == t && ins.id != use {
            let ok = incoming.map { dom.dominatesEnd(ins.name, of: $0) } ?? dom.dominates(ins.name, use: use)
            if ok { out.append(.value(ins.name)) }
        }
        for one in [false, true] {
            if let c = IRType.constant(t, one: one), !out.contains(.text(c)) { out.append(.text(c)) }
        }
        return out
    }

    /// Re-points every operand that no longer dominates its use (or whose
    /// definition was deleted) to a random same-typed dominating value or a
    /// constant. False when some operand has no replacement.
    mutating func repair(rng: inout StrataRNG) -> Bool {
        let dom = Dominance(self)
        for block in blocks {
            for i in block.order where !instructions[i].deleted {
                let ins = instructions[i]
                for (piece, name) in ins.valueOperands {
                    let incoming = ins.isPhi ? ins.incomingBlock(ofPiece: piece) : nil
                    let ok = ins.isPhi ? incoming.map { dom.dominatesEnd(name, of: $0) } ?? false
                                       : dom.dominates(name, use: i)
                    if ok && !isDeleted(name) { continue }
                    guard let t = type(of: name) else { return false }
                    let choices = candidates(type: t, dom: dom, use: i, incoming: incoming)
                    guard !choices.isEmpty else { return false }
                    instructions[i].pieces[piece] = choices[rng.nextIndex(below: choices.count)]
                }
            }
        }
        return true
    }

    func isDeleted(_ name: String) -> Bool {
        guard name.hasPrefix("v"), let id = Int(name.dropFirst()) else { return false }
        return instructions[id].deleted
    }

    /// A random edit over the original's editable instructions (not checked here).
    public func randomEdit(rng: inout StrataRNG) -> Edit? {
        let ids = editableIDs
        guard ids.count >= 2 else { return nil }
        let kind = Edit.Kind.allCases[rng.nextIndex(below: Edit.Kind.allCases.count)]
        let a = ids[rng.nextIndex(below: ids.count)]
        var b = -1
        var operand = -1
        switch kind {
        case .delete: break
        case .operand: operand = rng.nextIndex(below: 4)
        case .replace:
            // A donor of the same result type (or both without a result).
            let same = ids.filter { $0 != a && instructions[$0].hasResult == instructions[a].hasResult
                && instructions[$0].type == instructions[a].type }
            guard !same.isEmpty else { return nil }
            b = same[rng.nextIndex(below: same.count)]
        default:
            b = ids[rng.nextIndex(below: ids.count)]
            if b == a { return nil }
        }
        return Edit(kind, a, b, operand: operand, seed: rng.next() % 1000)
    }
}
