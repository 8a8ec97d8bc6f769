import ScalingLaws
import Tensors

/// A genome: the edit list, applied in order to the original function.
public typealias Genome = [Edit]

/// GEVO's variation operators.
enum GenomeOps {
    /// Keeps the edits both parents share, and cuts the rest of each at one
    /// random point, swapping the tails:
    ///
    ///     a = [c, x1, x2]   b = [y1, c, y2, y3]   common [c]
    ///     cut a's rest after 1, b's after 2  ->  [c, x1, y3]  and  [c, y1, y2, x2]
    static func crossover(_ a: Genome, _ b: Genome, rng: inout StrataRNG) -> (Genome, Genome) {
        let inB = Set(b), inA = Set(a)
        let common = a.filter { inB.contains($0) }
        let ra = a.filter { !inB.contains($0) }, rb = b.filter { !inA.contains($0) }
        let ca = rng.nextIndex(below: ra.count + 1), cb = rng.nextIndex(below: rb.count + 1)
        return (common + ra[..<ca] + rb[cb...], common + rb[..<cb] + ra[ca...])
    }

    /// One new edit that applies to `genome`'s variant (after repair) and,
    /// when `verify` is given, leaves IR it accepts; nil after `tries` misses.
    static func validEdit(for genome: Genome, original: IRFunction, rng: inout StrataRNG, tries: Int = 30,
                          verify: ((String) -> Bool)?) -> Edit? {
        var base = original
        base.apply(genome)
        for _ in 0..<tries {
            guard let e = original.randomEdit(rng: &rng) else { continue }
            var f = base
            guard f.apply(e) == .applied else { continue }
            if let verify, !verify(f.moduleText) { continue }
            return e
        }
        return nil
    }
}
