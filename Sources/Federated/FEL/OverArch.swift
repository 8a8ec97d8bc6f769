import Model
import Tensors

/// FEL's over-arch: an MLP over the k leaves' logits (and the client's public
/// cluster, see `FELRun`) giving one logit, hosted
/// by the server and trained federated with labels kept on the devices. The
/// client receives the frozen leaves' logits for its samples (the server can
/// compute them: the features are public) and trains on its own labels.
public final class OverArch {
    public let inputs: Int
    public let widths: [Int]
    public let maxBatch: Int
    public let params: FlatBuffer<Float>
    let grads: FlatBuffer<Float>
    let mlp: MLP
    let x: FlatBuffer<Float>, y: FlatBuffer<Float>, dz: FlatBuffer<Float>, z: FlatBuffer<Float>
    var order: [Int32] = []
    /// Inputs added to the MLP's output (a residual): with the last layer
    /// starting at zero, the over-arch starts as exactly that sum (FEL: the
    /// client's own leaf) and learns corrections to it.
    public let residual: Range<Int>?

    public init(inputs k: Int, hidden: [Int], maxBatch: Int, seed: UInt64, residual: Range<Int>? = nil) {
        inputs = k
        self.residual = residual
        widths = hidden + [1]
        self.maxBatch = maxBatch
        let n = MLP.parameterCount(input: k, widths: widths)
        params = FlatBuffer(count: n)
        grads = FlatBuffer(count: n)
        mlp = MLP(input: k, widths: widths, lastActivation: .none, maxBatch: maxBatch, params: params.pointer, grads: grads.pointer)
        mlp.initialize(seed: seed, firstLayer: 5000)
        if residual != nil, let last = mlp.layers.last {
            last.weight.update(repeating: 0, count: last.inputs * last.outputs)
            last.bias.update(repeating: 0, count: last.outputs)
        }
        x = FlatBuffer(count: maxBatch * k)
        y = FlatBuffer(count: maxBatch)
        dz = FlatBuffer(count: maxBatch)
        z = FlatBuffer(count: maxBatch)
    }

    /// z[s] = mlp(x_s) + the residual inputs of x_s.
    func forward(_ x: UnsafePointer<Float>, batch b: Int) -> UnsafeMutablePointer<Float> {
        let out = mlp.forward(x, batch: b)
        for s in 0..<b {
            var r: Float = 0
            if let residual { for j in residual { r += x[s * inputs + j] } }
            z.pointer[s] = out[s] + r
        }
        return z.pointer
    }

    public var parameterCount: Int { params.count }

    /// Logits of `n` samples with inputs `features` [n x k].
    public func logits(_ features: [Float], count n: Int) -> [Float] {
        var out = [Float](repeating: 0, count: n)
        var at = 0
        features.withUnsafeBufferPointer { f in
            while at < n {
                let b = min(maxBatch, n - at)
                let z = forward(f.baseAddress! + at * inputs, batch: b)
                for s in 0..<b { out[at + s] = z[s] }
                at += b
            }
        }
        return out
    }

    /// Plain SGD from `global`, E epochs at batch B (0: full); writes `global - local`.
    public func train(from global: UnsafePointer<Float>, features: [Float], labels: [Float], epochs: Int, batch: Int,
                      learningRate lr: Float, shuffleSeed: UInt64, update: UnsafeMutablePointer<Float>) -> Double {
        let n = labels.count, k = inputs, P = params.count
        params.pointer.update(from: global, count: P)
        let B = batch <= 0 ? max(n, 1) : batch
        order = (0..<n).map { Int32($0) }
        var last = 0.0
        for e in 0..<epochs {
            var rng = StrataRNG(seed: StrataRNG.hash(seed: shuffleSeed, stream: 0xF2, index: UInt64(e)))
            var i = n - 1
            while i > 0 { order.swapAt(i, Int(rng.next() % UInt64(i + 1))); i -= 1 }
            var lossSum = 0.0, at = 0
            while at < n {
                let m = min(B, n - at)
                grads.zero()
                var c = at
                while c < at + m {
                    let b = min(maxBatch, at + m - c)
                    for s in 0..<b {
                        let src = Int(order[c + s])
                        for j in 0..<k { x.pointer[s * k + j] = features[src * k + j] }
                        y.pointer[s] = labels[src]
                    }
                    let z = forward(x.pointer, batch: b)
                    lossSum += Double(BinaryCrossEntropy.forward(logits: z, labels: y.pointer, count: b, scale: 1 / Float(m), dLogits: dz.pointer))
                    mlp.backward(dz.pointer, dx: nil)
                    c += b
                }
                BLAS.axpy(n: P, alpha: -lr, x: grads.pointer, y: params.pointer)
                at += m
            }
            last = n > 0 ? lossSum / Double(n) : 0
        }
        for i in 0..<P { update[i] = global[i] - params.pointer[i] }
        return last
    }
}

/// The over-arch as a federated task: the payload is the leaves' logits for
/// the client's training samples; labels come from the client's own data.
public final class OverArchTask: FederatedTask {
    public let source: ClientSource
    public let arch: OverArch
    public let seed: UInt64
    public init(source: ClientSource, arch: OverArch, seed: UInt64) {
        self.source = source
        self.arch = arch
        self.seed = seed
    }

    public var parameterCount: Int { arch.parameterCount }
    public var needsPayload: Bool { true }

    public func train(client: Int, round: Int, config: ClientRoundConfig, global: UnsafePointer<Float>,
                      payload: [Float], update: UnsafeMutablePointer<Float>, segments: inout [Int]) throws -> (samples: Int, loss: Double) {
        segments = [0, arch.parameterCount]
        let labels = try source.data(client: client).train.labels
        guard labels.count > 0, payload.count == labels.count * arch.inputs else {
            throw ClientDataError("client \(client): \(payload.count) leaf outputs for \(labels.count) samples of \(arch.inputs) leaves")
        }
        let loss = arch.train(from: global, features: payload, labels: labels, epochs: config.epochs, batch: config.batch,
                              learningRate: Float(config.learningRate),
                              shuffleSeed: StrataRNG.hash(seed: seed, stream: 0x0A + UInt64(round), index: UInt64(client)),
                              update: update)
        return (labels.count, loss)
    }
}
