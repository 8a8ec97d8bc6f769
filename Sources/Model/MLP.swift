import Tensors

/// What follows a layer of an MLP.
public enum Activation: Sendable, Equatable {
    case relu
    case none
}

/// A stack of `Linear` layers with ReLU after each one, and `lastActivation`
/// after the last (ReLU for DLRM's bottom MLP, none for the top MLP's logit).
///
/// Activations and their gradients are allocated once for `maxBatch`. The MLP
/// remembers the input pointer of `forward`, so that input must stay alive and
/// unchanged until `backward`.
public final class MLP {
    public let input: Int
    public let widths: [Int]
    public let lastActivation: Activation
    public let maxBatch: Int
    public let layers: [Linear]

    private let acts: [FlatBuffer<Float>]   // acts[l]: [maxBatch x widths[l]]
    private let dActs: [FlatBuffer<Float>]  // dActs[l]: [maxBatch x widths[l]]
    private var lastInput: UnsafePointer<Float>?
    private var lastBatch = 0

    /// Floats of parameters for `input -> widths`: per layer W [O x I] then b [O].
    public static func parameterCount(input: Int, widths: [Int]) -> Int {
        var n = 0, i = input
        for o in widths { n += Linear.parameterCount(inputs: i, outputs: o); i = o }
        return n
    }

    /// Adds `name.l.weight` and `name.l.bias` to `layout`; returns the first offset.
    @discardableResult
    public static func addParameters(to layout: inout ParameterLayout, name: String, input: Int, widths: [Int]) -> Int {
        let start = layout.count
        var i = input
        for (l, o) in widths.enumerated() {
            layout.add("\(name).\(l).weight", shape: [o, i])
            layout.add("\(name).\(l).bias", shape: [o])
            i = o
        }
        return start
    }

    /// `params`/`grads` point at `parameterCount(input:widths:)` floats each.
    /// `gemm`: the kernels for the layers' GEMMs at batch `gemmBatch` (default
    /// `maxBatch`; other batches run on OpenBLAS), registered as `name.l`;
    /// `inputGradient: false` when `backward` is never asked for dx (no site for it).
    public init(input: Int, widths: [Int], lastActivation: Activation, maxBatch: Int,
                params: UnsafeMutablePointer<Float>, grads: UnsafeMutablePointer<Float>,
                gemm: DenseGemm? = nil, gemmBatch: Int? = nil, name: String = "mlp", inputGradient: Bool = true) {
        precondition(!widths.isEmpty, "an MLP needs at least one layer")
        self.input = input
        self.widths = widths
        self.lastActivation = lastActivation
        self.maxBatch = maxBatch
        var layers: [Linear] = []
        var i = input, offset = 0
        for (l, o) in widths.enumerated() {
            var layer = Linear(inputs: i, outputs: o, params: params + offset, grads: grads + offset)
            if let gemm { layer.prepareGemms(gemm, batch: gemmBatch ?? maxBatch, label: "\(name).\(l)", inputGradient: l > 0 || inputGradient) }
            layers.append(layer)
            offset += Linear.parameterCount(inputs: i, outputs: o)
            i = o
        }
        self.layers = layers
        acts = widths.map { FlatBuffer(count: maxBatch * $0) }
        dActs = widths.map { FlatBuffer(count: maxBatch * $0) }
    }

    public var output: Int { widths[widths.count - 1] }

    /// Seeds layer `l` with stream `firstLayer + l` (see `Linear.initialize`).
    public func initialize(seed: UInt64, firstLayer: UInt64) {
        for (l, layer) in layers.enumerated() { layer.initialize(seed: seed, layer: firstLayer + UInt64(l)) }
    }

    private func relu(_ l: Int) -> Bool { l < layers.count - 1 || lastActivation == .relu }

    /// x [B x input] -> returned pointer [B x output], valid until the next forward.
    @discardableResult
    public func forward(_ x: UnsafePointer<Float>, batch: Int) -> UnsafePointer<Float> {
        precondition(batch <= maxBatch, "batch \(batch) > maxBatch \(maxBatch)")
        lastInput = x
        lastBatch = batch
        var cur = x
        for (l, layer) in layers.enumerated() {
            layer.forward(x: cur, y: acts[l].pointer, batch: batch, relu: relu(l))
            cur = UnsafePointer(acts[l].pointer)
        }
        return cur
    }

    /// dOut [B x output] (not modified) -> accumulates every layer's parameter
    /// gradients and writes dx [B x input] when given. `layerDone` runs after
    /// each layer (last first), once its gradients are final and its weights
    /// no longer needed by this backward. With `sgdLearningRate`, each layer
    /// instead takes its SGD step inside its backward (`Linear.backwardApplyingSGD`).
    public func backward(_ dOut: UnsafePointer<Float>, dx: UnsafeMutablePointer<Float>?,
                         sgdLearningRate: Float? = nil,
                         layerDone: (Linear) -> Void = { _ in }) {
        guard let x = lastInput else { preconditionFailure("MLP.backward before forward") }
        let B = lastBatch, L = layers.count
        dActs[L - 1].pointer.update(from: dOut, count: B * output)
        for l in stride(from: L - 1, through: 0, by: -1) {
            let input = l == 0 ? x : UnsafePointer(acts[l - 1].pointer)
            let dInput = l == 0 ? dx : dActs[l - 1].pointer
            if let lr = sgdLearningRate {
                layers[l].backwardApplyingSGD(x: input, y: acts[l].pointer, dy: dActs[l].pointer, dx: dInput,
                                              batch: B, relu: relu(l), learningRate: lr)
            } else {
                layers[l].backward(x: input, y: acts[l].pointer, dy: dActs[l].pointer, dx: dInput, batch: B, relu: relu(l))
            }
            layerDone(layers[l])
        }
    }
}
