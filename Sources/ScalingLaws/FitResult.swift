/// What one axis of a sweep writes into `fits.json`.
///
/// The coding keys are spelled in snake_case explicitly, so the file has the same
/// keys whether or not the encoder uses `.convertToSnakeCase`. Every number is
/// finite by construction (JSONEncoder refuses NaN), and the optional parts are
/// omitted when not computed.
public struct FitResult: Codable, Sendable, Equatable {
    public var a: Double
    public var b: Double
    public var c: Double
    /// Weighted coefficient of determination on y (not on log y).
    public var r2: Double
    /// Weighted root-mean-square residual on y.
    public var rmse: Double
    /// How many points the fit used (repeated seeds count separately).
    public var points: Int
    /// Bootstrap percentile intervals; nil when not requested or too few resamples succeeded.
    public var ci: ParameterIntervals?
    /// Extrapolation check; nil when not requested.
    public var heldOut: HeldOutReport?
    /// Honest caveats (b <= 0, c at the search boundary, constant data, ...).
    public var warnings: [String]

    public var law: PowerLaw { PowerLaw(a: a, b: b, c: c) }

    public init(a: Double, b: Double, c: Double, r2: Double, rmse: Double, points: Int,
                ci: ParameterIntervals? = nil, heldOut: HeldOutReport? = nil, warnings: [String] = []) {
        self.a = a; self.b = b; self.c = c
        self.r2 = r2; self.rmse = rmse; self.points = points
        self.ci = ci; self.heldOut = heldOut; self.warnings = warnings
    }

    enum CodingKeys: String, CodingKey {
        case a, b, c, r2, rmse, points, ci, warnings
        case heldOut = "held_out"
    }
}

/// A two-sided interval for one parameter.
public struct ConfidenceInterval: Codable, Sendable, Equatable {
    public var lower: Double
    public var upper: Double

    public func contains(_ value: Double) -> Bool { lower <= value && value <= upper }
}

/// Bootstrap intervals for a, b and c, with how they were obtained.
public struct ParameterIntervals: Codable, Sendable, Equatable {
    public var a: ConfidenceInterval
    public var b: ConfidenceInterval
    public var c: ConfidenceInterval
    /// Coverage, e.g. 0.95 for the 2.5 / 97.5 percentiles.
    public var level: Double
    /// Resamples whose fit succeeded and entered the percentiles.
    public var resamples: Int
    /// Resamples skipped (fewer than 3 distinct x, or the fit failed).
    public var skipped: Int
}

/// One held-out point: what the fit on the smaller x predicted against what was observed.
public struct HeldOutPrediction: Codable, Sendable, Equatable {
    public var x: Double
    public var observed: Double
    public var predicted: Double
    /// (predicted - observed) / |observed| (or the absolute error where observed is 0).
    public var relativeError: Double

    enum CodingKeys: String, CodingKey {
        case x, observed, predicted
        case relativeError = "relative_error"
    }
}

/// The extrapolation check: fit without the largest x, then predict them.
public struct HeldOutReport: Codable, Sendable, Equatable {
    /// How many of the largest distinct x were held out.
    public var holdLargest: Int
    /// The law fitted on the remaining points.
    public var trainingFit: PowerLaw
    public var predictions: [HeldOutPrediction]
    public var meanAbsRelativeError: Double

    public init(holdLargest: Int, trainingFit: PowerLaw, predictions: [HeldOutPrediction],
                meanAbsRelativeError: Double) {
        self.holdLargest = holdLargest; self.trainingFit = trainingFit
        self.predictions = predictions; self.meanAbsRelativeError = meanAbsRelativeError
    }

    enum CodingKeys: String, CodingKey {
        case predictions
        case holdLargest = "hold_largest"
        case trainingFit = "training_fit"
        case meanAbsRelativeError = "mean_abs_relative_error"
    }
}
