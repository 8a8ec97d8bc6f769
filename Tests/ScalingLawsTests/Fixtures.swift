import Foundation
import Tensors
import ScalingLaws

/// Points drawn from a known law, with seeded multiplicative Gaussian noise, so a
/// test can compare what the fit recovers with the truth.
enum Fixtures {
    /// `count` log-spaced x from `from` to `to`.
    static func logSpaced(_ from: Double, _ to: Double, count: Int) -> [Double] {
        (0..<count).map { k in
            from * pow(to / from, Double(k) / Double(count - 1))
        }
    }

    /// `law(x) * (1 + noise * N(0, 1))` for each x, `seedsPerX` times.
    static func points(_ law: PowerLaw, xs: [Double], noise: Double, seed: UInt64,
                       seedsPerX: Int = 1) -> [ScalingPoint] {
        var rng = StrataRNG(seed: seed)
        return xs.flatMap { x in
            (0..<seedsPerX).map { _ in
                ScalingPoint(x: x, y: law(x) * (1 + noise * gaussian(&rng)))
            }
        }
    }

    /// N(0, 1) by Box-Muller with u1 = 1 - u in (0, 1]: the noise stream the
    /// fit tests' seeds were chosen with (StrataRNG.nextNormal draws another).
    static func gaussian(_ rng: inout StrataRNG) -> Double {
        let u1 = 1 - rng.nextUnit(), u2 = rng.nextUnit()
        return (-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2)
    }

    /// Relative difference, |got - want| / |want|.
    static func relative(_ got: Double, _ want: Double) -> Double {
        abs(got - want) / abs(want)
    }
}

