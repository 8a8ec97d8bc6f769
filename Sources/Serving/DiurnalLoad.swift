import Tensors
import Foundation
import ScalingLaws

/// A documented synthetic day when no trace is given: per model a cosine
/// around its own peak hour (models peak at spread-out hours, as services in
/// different regions and of different kinds do), trough at 35 % of peak, and
/// 5 % seeded multiplicative noise per slot:
///
///     demand(m, h) = peak_m * (0.675 + 0.325 cos(2 pi (h - peakHour_m) / 24)) * (1 + 0.05 z)
///
/// peakHour_m = 20 - 6 m (mod 24): 20:00, 14:00, 08:00, 02:00, ...
public enum DiurnalLoad {
    public static func synthetic(models: Int, peaks: [Double], slots: Int = 24, seed: UInt64) -> [[Double]] {
        var rng = StrataRNG(seed: seed)
        return (0..<slots).map { s in
            let hour = 24 * Double(s) / Double(slots)
            return (0..<models).map { m in
                let peakHour = Double(((20 - 6 * m) % 24 + 24) % 24)
                let shape = 0.675 + 0.325 * cos(2 * Double.pi * (hour - peakHour) / 24)
                return max(0, peaks[m] * shape * (1 + 0.05 * rng.nextNormal()))
            }
        }
    }
}
