import Tensors

/// Tabular Q-learning with epsilon-greedy exploration (Watkins 1989):
/// Q(s, a) += lr * (r + gamma * max_a' Q(s', a') - Q(s, a)).
/// Greedy ties go to the lowest action index, so a seeded agent repeats exactly.
public struct QAgent: Sendable {
    public let states: Int, actions: Int
    public var q: [Double]
    public var learningRate: Double
    public var discount: Double
    public var epsilon: Double
    var rng: StrataRNG

    public init(states: Int, actions: Int, learningRate: Double = 0.3, discount: Double = 0.5, epsilon: Double = 0.2, seed: UInt64) {
        precondition(states > 0 && actions > 0)
        self.states = states
        self.actions = actions
        q = [Double](repeating: 0, count: states * actions)
        self.learningRate = learningRate
        self.discount = discount
        self.epsilon = epsilon
        rng = StrataRNG(seed: StrataRNG.hash(seed: seed, stream: 0x6790_0001, index: 0))
    }

    public func value(_ s: Int, _ a: Int) -> Double { q[s * actions + a] }

    public func greedy(_ s: Int) -> Int {
        var best = 0
        for a in 1..<actions where value(s, a) > value(s, best) { best = a }
        return best
    }

    /// Explores with probability epsilon (a uniform action), else greedy.
    public mutating func choose(_ s: Int) -> Int {
        rng.nextUnit() < epsilon ? rng.nextIndex(below: actions) : greedy(s)
    }

    /// One update; `next` nil ends the episode (no bootstrap).
    public mutating func update(state s: Int, action a: Int, reward r: Double, next: Int?) {
        let target = r + (next.map { discount * value($0, greedy($0)) } ?? 0)
        q[s * actions + a] += learningRate * (target - q[s * actions + a])
    }
}
