import Tensors

/// A fully connected layer `y[B x O] = x[B x I] W^T + b`, optionally followed by ReLU.
///
/// The layer owns no memory: its weights and gradients are views into the model's
/// flat parameter and gradient buffers, laid out as `W [O x I]` then `b [O]`
/// (`Linear.parameterCount(inputs:outputs:)` floats), so the optimizer and the
/// dense all-reduce see one contiguous range.
public struct Linear {
    public let inputs: Int   // I
    public let outputs: Int  // O
    public let weight: UnsafeMutablePointer<Float>   // [O x I]
    public let bias: UnsafeMutablePointer<Float>     // [O]
    public let dWeight: UnsafeMutablePointer<Float>  // [O x I]
    public let dBias: UnsafeMutablePointer<Float>    // [O]
    /// The GEMM sites at the batch the layer was prepared for (`prepareGemms`;
    /// nil: OpenBLAS): y = x W^T, dW (+)= alpha dy^T x, dx = dy W.
    public private(set) var forwardGemm: GemmSite?, weightGradGemm: GemmSite?, inputGradGemm: GemmSite?

    /// `params` and `grads` each point at `parameterCount` floats: W then b.
    public init(inputs: Int, outputs: Int, params: UnsafeMutablePointer<Float>, grads: UnsafeMutablePointer<Float>) {
        self.inputs = inputs
        self.outputs = outputs
        weight = params
        bias = params + outputs * inputs
        dWeight = grads
        dBias = grads + outputs * inputs
    }

    public static func parameterCount(inputs: Int, outputs: Int) -> Int { outputs * inputs + outputs }

    /// Registers this layer's GEMMs at batch `B` with `gemm` (so they run on
    /// its chosen kernels); `inputGradient: false` skips dx's (a first layer).
    /// The weight gradient's site takes alpha per call: 1 for `backward`, -lr
    /// for `backwardApplyingSGD`.
    public mutating func prepareGemms(_ gemm: DenseGemm, batch B: Int, label: String, inputGradient: Bool = true) {
        let I = inputs, O = outputs
        forwardGemm = gemm.site(GemmShape(transB: true, m: B, n: O, k: I), label: "\(label) fwd")
        weightGradGemm = gemm.site(GemmShape(transA: true, m: O, n: I, k: B, accumulate: true, scaled: true), label: "\(label) dW")
        inputGradGemm = inputGradient ? gemm.site(GemmShape(m: B, n: I, k: O), label: "\(label) dx") : nil
    }

    /// DLRM reference init: `W ~ N(0, sqrt(2/(I+O)))`, `b ~ N(0, sqrt(1/O))`, each
    /// element keyed by `(seed, stream, element)`, where the weight uses stream
    /// `2*layer` and the bias `2*layer+1`, so it is independent of order.
    public func initialize(seed: UInt64, layer: UInt64) {
        let sw = Float((2.0 / Double(inputs + outputs)).squareRoot())
        let sb = Float((1.0 / Double(outputs)).squareRoot())
        for i in 0..<(outputs * inputs) {
            weight[i] = sw * StrataRNG.normal(seed: seed, stream: 2 * layer, index: UInt64(i))
        }
        for o in 0..<outputs {
            bias[o] = sb * StrataRNG.normal(seed: seed, stream: 2 * layer + 1, index: UInt64(o))
        }
    }

    /// `y = x W^T + b`, then `y = max(y, 0)` when `relu`.
    public func forward(x: UnsafePointer<Float>,   // [B x I]
                        y: UnsafeMutablePointer<Float>,  // [B x O]
                        batch: Int, relu: Bool) {
        let B = batch, I = inputs, O = outputs
        // The product first (beta = 0, nothing to seed), then bias and ReLU in
        // one pass; seeding y with bias rows for a beta = 1 GEMM would cost a
        // pass of its own before the ReLU pass. Each element gets the same sum
        // (acc + b == b + acc) except for rounding where OpenBLAS splits a large I into K blocks.
        gemm(forwardGemm, transB: true, m: B, n: O, k: I, a: x, lda: I, b: weight, ldb: I, beta: 0, c: y, ldc: O)
        Linear.addBias(y, bias: bias, rows: B, columns: O, relu: relu)
    }

    /// Accumulates `dW += dy^T x` and `db += colsum(dy)`; writes `dx = dy W` when given.
    ///
    /// With `relu`, `dy` arrives as the gradient of the activated output and is
    /// masked IN PLACE by `y > 0` (so it becomes the pre-activation gradient):
    /// this saves a scratch buffer per layer.
    public func backward(x: UnsafePointer<Float>,        // [B x I] the forward input
                         y: UnsafePointer<Float>,        // [B x O] the forward output
                         dy: UnsafeMutablePointer<Float>,  // [B x O]
                         dx: UnsafeMutablePointer<Float>?, // [B x I]
                         batch: Int, relu: Bool) {
        let B = batch, I = inputs, O = outputs
        // ReLU mask and db += colsum(dy) in one pass over dy (Linear+Epilogues).
        Linear.maskAndSumColumns(y: y, dy: dy, dBias: dBias, rows: B, columns: O, relu: relu)
        // dW[O x I] += dy^T[O x B] x[B x I]
        gemm(weightGradGemm, transA: true, m: O, n: I, k: B, a: dy, lda: O, b: x, ldb: I, beta: 1, c: dWeight, ldc: I)
        if let dx {
            // dx[B x I] = dy[B x O] W[O x I]
            gemm(inputGradGemm, m: B, n: I, k: O, a: dy, lda: O, b: weight, ldb: I, beta: 0, c: dx, ldc: I)
        }
    }

    /// `backward` fused with plain SGD, for a trainer with nothing to sum across
    /// ranks: the weight-gradient GEMM adds its product straight onto the
    /// weights, `W += (-lr) dy^T x`, so `dWeight` is never written, zeroed or
    /// read back (at the Kaggle shape this saves a memset and an SGD pass over
    /// 1.9 MB a step). `dBias` is overwritten with this batch's bias gradient
    /// and `b -= lr * dBias` follows. `dx` is computed first, from the weights
    /// the forward used.
    public func backwardApplyingSGD(x: UnsafePointer<Float>,        // [B x I] the forward input
                                    y: UnsafePointer<Float>,        // [B x O] the forward output
                                    dy: UnsafeMutablePointer<Float>,  // [B x O], masked in place as in `backward`
                                    dx: UnsafeMutablePointer<Float>?, // [B x I]
                                    batch: Int, relu: Bool, learningRate lr: Float) {
        let B = batch, I = inputs, O = outputs
        dBias.update(repeating: 0, count: O)
        Linear.maskAndSumColumns(y: y, dy: dy, dBias: dBias, rows: B, columns: O, relu: relu)
        if let dx {
            gemm(inputGradGemm, m: B, n: I, k: O, a: dy, lda: O, b: weight, ldb: I, beta: 0, c: dx, ldc: I)
        }
        gemm(weightGradGemm, transA: true, m: O, n: I, k: B, alpha: -lr, a: dy, lda: O, b: x, ldb: I, beta: 1, c: weight, ldc: I)
        SGD.step(params: bias, grads: dBias, count: O, learningRate: lr)
    }
}
