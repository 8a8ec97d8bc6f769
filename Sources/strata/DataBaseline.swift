import ArgumentParser
import CLISupport
import Data
import Foundation
import Training

/// `strata data baseline`: the item-popularity score on the config's eval split.
struct DataBaseline: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "baseline",
        abstract: "Eval AUC of scoring each sample by its item's training positive rate.",
        discussion: """
        Loads the config's data (the same split training uses), counts each item's \
        positives on the training split and scores every eval sample with that rate \
        (the training base rate for unseen items; with --prior-strength M, \
        (positives + M * base) / (count + M)). Prints eval AUC, logloss and NE (and GAUC, the per-user AUC, where the data knows users). With \
        --user-feature the item's rate is blended with the user's (logit(item) + \
        logit(user) - logit(base)); a user without training samples (every held-out \
        user of data.movielens.split users) scores by the item's rate alone. With \
        --history-feedback LIKED,DISLIKED the user's rate comes instead from the \
        sample's own history, (|liked| + M * base) / (|liked| + |disliked| + M), which \
        held-out users have too (MovieLens: history_liked,history_disliked). For the \
        model without sequence features, train with --set model.use_sequences=false.
        """
    )

    @OptionGroup var configOptions: ConfigOptions

    @Option(help: "Item-side feature whose id is the item (default: the one on a sequence's table, else the first).")
    var feature: String?

    @Option(name: .customLong("prior-strength"), help: "Pseudo-counts of the base rate added to every item (and user).")
    var priorStrength: Double = 0

    @Option(name: .customLong("user-feature"), help: "Pooled user-side feature to blend the user's rate from (MovieLens: user).")
    var userFeature: String?

    @Option(name: .customLong("history-feedback"), help: "Two user-side sequences, LIKED,DISLIKED, to read the user's rate from their history (MovieLens: history_liked,history_disliked).")
    var historyFeedback: String?

    func run() throws {
        let cfg = try loadConfig(try configOptions.required("the config whose data section is used"), configOptions.overrides)
        do {
            let loaded = try DataSources.load(cfg.data, seed: cfg.run.seed)
            let source = loaded.source
            // A baseline is its eval metrics: on an empty split there are none to give (not logloss 0, AUC 0.5).
            guard source.sampleCount(.eval) > 0 else {
                throw ConfigError("no evaluation: the eval split is empty (\(TrainingRun.whyNoEval(cfg, badLines: loaded.badLines)))")
            }
            guard let name = feature ?? PopularityBaseline.defaultFeature(source.schema) else {
                throw ConfigError("the data has no item-side feature to score by")
            }
            if let historyFeedback {
                guard userFeature == nil else { throw ConfigError("--history-feedback and --user-feature are two sources of the user's rate: give one") }
                let keys = historyFeedback.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) }
                guard keys.count == 2 else { throw ConfigError("--history-feedback: expected LIKED,DISLIKED, got '\(historyFeedback)'") }
                let (m, empty) = try BlendBaseline.evaluate(source: source, item: name, liked: keys[0], disliked: keys[1], priorStrength: priorStrength)
                print(String(format: "blend baseline (%@ + the history's feedback, prior strength %g): eval auc %.4f  logloss %.4f  ne %.4f  (%d samples, %d with an empty history scored by the item alone)%@",
                             name, priorStrength, m.auc, m.logloss, m.ne, m.samples, empty, m.gaucSuffix))
                return
            }
            if let userFeature {
                let (m, unknown) = try BlendBaseline.evaluate(source: source, item: name, user: userFeature, priorStrength: priorStrength)
                print(String(format: "blend baseline (%@ + %@, prior strength %g): eval auc %.4f  logloss %.4f  ne %.4f  (%d samples, %d of unseen users scored by the item alone)%@",
                             name, userFeature, priorStrength, m.auc, m.logloss, m.ne, m.samples, unknown, m.gaucSuffix))
                return
            }
            let m = try PopularityBaseline.evaluate(source: source, feature: name, priorStrength: priorStrength)
            print(String(format: "popularity baseline (%@, prior strength %g): eval auc %.4f  logloss %.4f  ne %.4f  (%d samples)%@",
                         name, priorStrength, m.auc, m.logloss, m.ne, m.samples, m.gaucSuffix))
        } catch { throw inputFailure(error) }
    }
}
