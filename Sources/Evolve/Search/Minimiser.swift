/// An edit that survived minimisation, with what it does and what it is worth.
public struct MinimisedEdit: Codable, Sendable, Equatable {
    public var edit: Edit
    /// What the edit does, in the original's own names.
    public var explanation: String
    /// The other kept edits without this one: the runtime change, or why it fails.
    public var withoutIt: String
}

/// Drops each edit whose removal keeps the variant valid and its runtime
/// within `threshold` of the full list's (always measured against the full
/// list, so small losses cannot add up), then checks the result on the
/// held-out inputs (falling back to the full list if it fails there).
struct Minimiser {
    let workspace: KernelWorkspace
    let threshold: Double
    let repetitions: Int
    let heldOutTolerance: Double

    func evaluate(_ edits: Genome) -> Fitness {
        workspace.evaluate(edits, repetitions: repetitions)
    }

    func minimise(_ edits: Genome) throws -> [MinimisedEdit] {
        let reference = evaluate(edits)
        guard reference.valid else { return [] }
        var kept = edits
        for e in edits {
            let trial = kept.filter { $0 != e }
            let f = evaluate(trial)
            if f.valid && f.runtime <= reference.runtime * (1 + threshold) { kept = trial }
        }
        let check = workspace.evaluate(kept, seeds: workspace.settings.heldOutSeeds, tolerance: heldOutTolerance)
        if !check.valid { kept = edits }
        let full = evaluate(kept)
        return kept.map { e in
            let without = evaluate(kept.filter { $0 != e })
            let impact: String
            if !without.valid {
                impact = "invalid without it (\(without.reason ?? "?"))"
            } else {
                impact = String(format: "runtime %+.1f %% without it", 100 * (without.runtime / full.runtime - 1))
            }
            return MinimisedEdit(edit: e, explanation: explain(e), withoutIt: impact)
        }
    }

    /// Says what `e` does to the original, with clang's names; for an operand
    /// replacement the instruction before and after (the edit applied alone).
    func explain(_ e: Edit) -> String {
        let f = workspace.original
        func src(_ id: Int) -> String { id >= 0 && id < f.instructions.count ? "`\(f.instructions[id].source)`" : "?" }
        switch e.kind {
        case .delete: return "delete \(src(e.a)); its uses are re-pointed by repair"
        case .insert: return "insert a copy of \(src(e.b)) before \(src(e.a))"
        case .replace: return "replace \(src(e.a)) by a copy of \(src(e.b))"
        case .swap: return "swap \(src(e.a)) and \(src(e.b))"
        case .move: return "move \(src(e.b)) to just before \(src(e.a))"
        case .operand:
            var g = f
            _ = g.apply(e)
            return "operand replace: \(src(e.a)) becomes `\(g.instructions[e.a].text(names: f.originalNames))`"
        }
    }
}
