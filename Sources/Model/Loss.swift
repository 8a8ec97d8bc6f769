#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

/// Binary cross-entropy on logits, the numerically stable form
/// `max(z,0) - z*y + log1p(exp(-|z|))`.
///
/// Returns the SUM of per-sample losses over the local batch (accumulated in
/// Double) and writes `dz[b] = (sigmoid(z_b) - y_b) * scale`. The caller passes
/// `scale = 1 / globalBatch`, so dense gradients summed over ranks equal the
/// gradient of the single-process mean loss.
public enum BinaryCrossEntropy {
    public static func forward(logits z: UnsafePointer<Float>,     // [B]
                               labels y: UnsafePointer<Float>,     // [B]
                               count B: Int, scale: Float,
                               dLogits dz: UnsafeMutablePointer<Float>) -> Float { // [B]
        var total = 0.0
        for b in 0..<B {
            let zb = Double(z[b]), yb = Double(y[b])
            total += Swift.max(zb, 0) - zb * yb + log1p(exp(-Swift.abs(zb)))
            // sigmoid without overflow for either sign of z.
            let s = zb >= 0 ? 1 / (1 + exp(-zb)) : exp(zb) / (1 + exp(zb))
            dz[b] = Float((s - yb) * Double(scale))
        }
        return Float(total)
    }
}
