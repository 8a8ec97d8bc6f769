import CLISupport
import Collectives
import Federated
import FedHetero

/// Every `strata fl` key, declared once: what it holds (strata fl --help),
/// its allowed values when numeric (checked for every list element, listed
/// by `strata ranges`) and where it goes in `FLSettings`.
enum FLKeys {
    typealias Key = DeclaredKey<FLSettings>

    static let schema = ConfigSchema<FLSettings>(run + model + data + device + evaluation + fel + tiers + gpo,
                                                 hint: " (see strata fl --help)", record: \.given)

    static let run: [(String, Key)] = [
        ("mode", .choice(\.mode, "fl (one model) or fel (FEL: k leaf federations + over-arch, with the baselines)")),
        ("seed", .seed(\.federation.seed, "run seed (sampling, init, data)")),
        ("rounds", .int(\.federation.rounds, .ints(1...10_000_000), "rounds of federated training")),
        ("clients_per_round", .int(\.federation.clientsPerRound, .ints(1...100_000_000), "K, clients sampled a round")),
        ("round_timeout_seconds", .real(\.roundTimeoutSeconds, .reals(0...1e9),
                                        "the watchdog: a round (and its evaluation) that some rank does not reach within this many seconds "
                                        + "ends the job, exit 3, naming that rank (default 0 = off; rounds count over the whole command)")),
        ("sampling", .choice(\.federation.sampling, "uniform (K each round, independently; default) | epoch (every client once per epoch, K at a time)")),
        ("max_batch", .int(\.federation.maxBatch, .ints(1...1 << 20), "largest forward chunk (model scratch)")),
        ("client.epochs", .int(\.federation.client.epochs, .ints(1...100_000), "E, local epochs")),
        ("client.batch", .int(\.federation.client.batch, .ints(0...1 << 24), "B, local batch (0 = the client's whole data)")),
        ("client.lr", .real(\.federation.client.learningRate, .above(0, atMost: 1e6), "client SGD learning rate")),
        ("strategy.name", .string(\.strategy.name, Strategy.names.joined(separator: " | "))),
        ("strategy.mu", .real(\.strategy.mu, .reals(0...1e6), "FedProx's mu")),
        ("strategy.eta", .real(\.strategy.eta, .above(0, atMost: 1e6), "server learning rate")),
        ("strategy.beta1", .real(\.strategy.beta1, .fraction, "adaptive: first moment")),
        ("strategy.beta2", .real(\.strategy.beta2, .fraction, "Adam/Yogi: second moment")),
        ("strategy.tau", .real(\.strategy.tau, .above(0, atMost: 1e6), "adaptive: epsilon")),
        ("dp.enabled", .bool(\.dp.enabled, "central DP on/off")),
        ("dp.clip", .real(\.dp.clip, .above(0, atMost: 1e12), "C, per-update L2 clip")),
        ("dp.noise_multiplier", .real(\.dp.noiseMultiplier, .reals(0...1e6), "sigma (noise std sigma*C on the sum)")),
        ("dp.delta", .real(\.dp.delta, .above(0, atMost: 0.999_999), "delta for the reported epsilon")),
    ]

    static let model: [(String, Key)] = [
        ("model.dim", .int(\.federation.model.dim, .ints(1...4096), "embedding dim")),
        ("model.bottom", .ints(\.federation.model.bottomHidden, .ints(1...1 << 16), "bottom MLP hidden widths, e.g. [32]")),
        ("model.top", .ints(\.federation.model.topHidden, .ints(1...1 << 16), "top MLP hidden widths, e.g. [64]")),
        ("model.gemm", .choice(\.federation.model.gemm, "auto | openblas | onednn (the dense GEMMs' kernels)")),
        ("model.precision", .choice(\.federation.model.precision, "fp32 | bf16 (the dense GEMMs' inputs)")),
    ]

    static let data: [(String, Key)] = [
        ("data.source", .dataSet(\.data.source, ClientDataSets.adapter)),
        ("data.population", .int(\.data.synthetic.population, .ints(1...100_000_000), "synthetic clients N")),
        ("data.samples_per_client", .int(\.data.synthetic.samplesPerClient, .ints(2...10_000_000), "synthetic samples a client")),
        ("data.sample_spread", .real(\.data.synthetic.sampleSpread, .fraction, "synthetic count spread (0..1)")),
        ("data.clusters", .int(\.data.synthetic.clusters, .ints(1...1_000_000), "synthetic ground-truth clusters")),
        ("data.items", .int(\.data.synthetic.items, .ints(1...100_000_000), "synthetic item table rows")),
        ("data.user_rows", .int(\.data.synthetic.userRows, .ints(1...100_000_000), "synthetic user table rows")),
        ("data.partition", .choice(\.data.partition, "natural | iid | dirichlet")),
        ("data.alpha", .real(\.data.alpha, .above(0, atMost: 1e6), "Dirichlet alpha")),
        ("data.test_fraction", .real(\.data.testFraction, .above(0, atMost: 0.9), "last fraction of each client's samples for test")),
        ("data.movielens_dir", .string(\.data.movielensDir, "folder with ml-latest-small-{ratings,movies}.csv")),
        ("data.user_feature", .bool(\.data.userFeature, "movielens: the user id as a feature (default true; RF^2's reference setup: false)")),
        ("data.history_clicks", .int(\.data.historyClicks, .ints(0...10_000),
                                     "movielens: a bag of the user's last N clicked movies, mean-pooled (default 0 = none; RF^2's reference: 10)")),
    ]

    static let device: [(String, Key)] = [
        ("device.enabled", .bool(\.device.enabled, "simulate phones (tiers, time, energy)")),
        ("device.deadline_s", .real(\.device.deadline, .above(0, atMost: 1e9), "round deadline; stragglers dropped")),
        ("device.interference", .real(\.device.interference, .fraction, "chance of a co-running app slowing a client, 0..1 (default 0.2)")),
        ("device.tiers", Key(help: "the phone classes (default high/mid/low, docs/DESIGN.md), a list of maps, every field required: "
                             + FLDeviceTiers.fields.map { "\($0.0) (\($0.1))" }.joined(separator: ", ")) { c, v, k in
            guard let file = v.file else { throw InputError("--set \(k): a list of maps; give it in the config file") }
            // Refusals name the list's first line, not its key's.
            c.given[k] = ConfigLoader.Value(node: v.node, origin: "\(file):\(v.node.mark?.line ?? 0)", file: file)
            c.device.tiers = try FLDeviceTiers.decode(v.node, file: file)
        }),
        ("device.availability", .real(\.device.availability, .above(0, atMost: 1e6), "scale every tier's availability (1 = as documented)")),
    ]

    static let evaluation: [(String, Key)] = [
        ("eval.every", .int(\.federation.evalEvery, .ints(1...10_000_000), "central eval every N rounds")),
        ("eval.clients", .int(\.federation.evalClients, .ints(1...100_000_000), "eval on at most this many clients' test splits")),
        ("eval.federated_clients", .int(\.federation.federatedEvalClients, .ints(0...100_000_000),
                                        "federated eval: clients sampled each eval round to score the model on their own test splits and return only sums (0 = off)")),
        ("eval.auc_bins", .int(\.federation.aucBins, .ints(2...10_000_000),
                               "federated eval: bins of the score histogram a client returns for the pooled AUC (default 1000)")),
        ("failures.clients", .ints(\.federation.failingClients, .ints(0...100_000_000), "clients that throw on purpose (drills)")),
    ]

    static let fel: [(String, Key)] = [
        ("fel.k", .int(\.fel.k, .ints(1...100_000), "FEL clusters / leaf federations")),
        ("fel.kmeans_sample", .int(\.fel.kmeansSample, .ints(1...100_000_000), "k-means fit on at most this many clients")),
        ("fel.over_hidden", .ints(\.fel.overHidden, .ints(1...1 << 16), "over-arch hidden widths")),
        ("fel.over_rounds", .int(\.fel.overRounds, .ints(1...10_000_000), "over-arch rounds")),
        ("fel.over_epochs", .int(\.fel.overClient.epochs, .ints(1...100_000), "over-arch local epochs")),
        ("fel.over_batch", .int(\.fel.overClient.batch, .ints(0...1 << 24), "over-arch local batch (0 = full)")),
        ("fel.over_lr", .real(\.fel.overClient.learningRate, .above(0, atMost: 1e6), "over-arch client learning rate")),
        ("fel.central_clients", .int(\.fel.centralClients, .ints(1...100_000_000), "centralized bound: clients pooled")),
        ("fel.holdout_fraction", .real(\.fel.holdoutFraction, .reals(0...0.9),
                                       "last fraction of each client's training samples held out from the leaves for the over-arch (0 = none)")),
        ("fel.central_epochs", .int(\.fel.centralEpochs, .ints(0...100_000), "centralized bound: epochs (0 = skip)")),
        ("fel.central_batch", .int(\.fel.centralBatch, .ints(1...1 << 24), "centralized bound: batch")),
        ("fel.central_lr", .real(\.fel.centralLR, .above(0, atMost: 1e6), "centralized bound: learning rate")),
    ]

    static let tiers: [(String, Key)] = [
        ("tiers.mapping", .choice(\.tiers.mapping, "RF^2 user-to-tier mapping: none | random | dirichlet (tier 0 low, 2 high; per-tier eval)")),
        ("tiers.alpha", .real(\.tiers.alpha, .above(0, atMost: 1e6), "dirichlet mapping's alpha (default 0.005)")),
        ("tiers.seed", .seed(\.tiers.seed, "tier mapping seed (default 2206)")),
        ("rf2.exclude_low", .bool(\.rf2.excludeLowTier, "the low tier never trains (still evaluated)")),
        ("rf2.over_select", .real(\.rf2.overSelect, .reals(0...10), "x: sample K(1+x), drop the Kx stragglers, low tier first")),
        ("rf2.prune", .reals(\.rf2.pruneFraction, .reals(0...0.99), "per-tier fraction of update values zeroed at random, [low, mid, high]")),
        ("rf2.quant_bits", .ints(\.rf2.quantBits, .ints(0...32), "per-tier stochastic quantization of updates to 2^b levels, [low, mid, high] (0 = off)")),
        ("rf2.heterofl", .reals(\.rf2.heteroWidths, .above(0, atMost: 1),
                                "HeteroFL: per-tier share of the top MLP's hidden units trained, [low, mid, high], e.g. [0.25, 0.5, 1]")),
    ]

    static let gpo: [(String, Key)] = [
        ("gpo.batches", .ints(\.gpo.batches, .ints(0...1 << 24), "FedGPO grid: local batch sizes B (0 = full), e.g. [8, 32, 0]")),
        ("gpo.epochs", .ints(\.gpo.epochs, .ints(1...100_000), "FedGPO grid: local epochs E, e.g. [1, 2, 4]")),
        ("gpo.clients", .ints(\.gpo.clients, .ints(1...100_000_000), "FedGPO grid: participants K, e.g. [5, 10, 20]")),
        ("gpo.common", Key(.ints(0...100_000_000), help: "the common fixed [B, E, K] baseline (default [32, 1, 10])") { c, v, k in
            let x = try v.list(k, "integers") { try $0.int(k) }
            guard x.count == 3 else { throw v.fail(k, "[B, E, K]") }
            c.gpo.common = GPOAction(batch: x[0], epochs: x[1], clients: x[2])
        }),
        ("gpo.episodes", .int(\.gpo.episodes, .ints(0...100_000), "Q-learning runs before the measured greedy run")),
        ("gpo.epsilon", .real(\.gpo.epsilon, .fraction, "exploration rate")),
        ("gpo.lr", .real(\.gpo.learningRate, .above(0, atMost: 1), "Q-learning rate")),
        ("gpo.discount", .real(\.gpo.discount, .reals(0...0.999_999), "Q-learning discount")),
        ("gpo.penalty", .real(\.gpo.penalty, .reals(0...1e6), "reward scale when eval quality falls")),
        ("gpo.target_auc", .real(\.gpo.targetAUC, .above(0, atMost: 1), "target AUC (default 0.99 x the common run's final)")),
    ]
}
