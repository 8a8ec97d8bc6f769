import Tensors

/// A training round the server has started (`RoundEngine.startRound`: header
/// and model sent) and not yet finished: what `finishRound` needs to take
/// the results in.
public struct StartedRound {
    let task: Int
    let round: Int
    let clients: [Int]
    let configs: [ClientRoundConfig]
    let global: FlatBuffer<Float>
    /// Participant j trains on host `RoundEngine.host(ofPosition: j, from: firstPosition)`.
    let firstPosition: Int
}

/// A training round a host has taken the header and model of
/// (`RoundEngine.hostStartRound`) and not yet trained.
struct HostRound {
    let header: [Int64]
    /// (learning rate, proximal mu) per participant.
    let reals: [Double]
}
