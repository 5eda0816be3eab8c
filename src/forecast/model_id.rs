//! The identity of every forecast model, with its spelling in the reports
//! (`model` columns of plan.csv, forecast.csv, accuracy.csv and the shard
//! parts) in one place.

use std::fmt;

/// Which model made a forecast.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ModelId {
    /// The last value.
    Naive,
    /// The value one season back.
    SeasonalNaive,
    /// The mean of the last window.
    MovingAverage,
    /// The mean of the whole history.
    HistoricAverage,
    /// All zeros: no (recent) demand.
    Zero,
    /// Simple exponential smoothing.
    Ses,
    /// Holt's linear trend.
    Holt,
    /// Holt's damped trend.
    HoltDamped,
    /// Holt–Winters, additive season.
    HoltWintersAdditive,
    /// Holt–Winters, additive season, damped trend.
    HoltWintersAdditiveDamped,
    /// Holt–Winters, multiplicative season.
    HoltWintersMultiplicative,
    /// Holt–Winters, multiplicative season, damped trend.
    HoltWintersMultiplicativeDamped,
    /// ETS chosen by information criterion.
    AutoEts,
    /// Croston's method.
    Croston,
    /// Croston with the Syntetos–Boylan approximation.
    CrostonSba,
    /// Croston with optimised smoothing.
    CrostonOpt,
    /// Teunter–Syntetos–Babai.
    Tsb,
    /// TSB with optimised smoothing.
    TsbOpt,
    /// Aggregate–disaggregate intermittent demand approach.
    Adida,
    /// Intermittent multiple aggregation prediction algorithm.
    Imapa,
    /// ADIDA at the season, spread over it by the seasonal profile.
    SeasonalAdida,
    /// The theta method.
    Theta,
    /// The theta method with θ fitted (optimised theta).
    OptimizedTheta,
    /// The best in-sample of the four theta models (statsforecast's
    /// AutoTheta: standard, optimised, dynamic standard, dynamic optimised).
    AutoTheta,
    /// The global model's Poisson GLM.
    GlobalPoisson,
    /// The global model's elastic net.
    GlobalLinear,
    /// The median of several candidates (by default the three lead ones).
    MedianCombination,
    /// The mean of several candidates.
    MeanCombination,
    /// The mean of the local choice and the global model for a new item.
    NewItemBlend,
}

impl ModelId {
    /// Every model.
    pub const ALL: [ModelId; 29] = [
        ModelId::Naive,
        ModelId::SeasonalNaive,
        ModelId::MovingAverage,
        ModelId::HistoricAverage,
        ModelId::Zero,
        ModelId::Ses,
        ModelId::Holt,
        ModelId::HoltDamped,
        ModelId::HoltWintersAdditive,
        ModelId::HoltWintersAdditiveDamped,
        ModelId::HoltWintersMultiplicative,
        ModelId::HoltWintersMultiplicativeDamped,
        ModelId::AutoEts,
        ModelId::Croston,
        ModelId::CrostonSba,
        ModelId::CrostonOpt,
        ModelId::Tsb,
        ModelId::TsbOpt,
        ModelId::Adida,
        ModelId::Imapa,
        ModelId::SeasonalAdida,
        ModelId::Theta,
        ModelId::OptimizedTheta,
        ModelId::AutoTheta,
        ModelId::GlobalPoisson,
        ModelId::GlobalLinear,
        ModelId::MedianCombination,
        ModelId::MeanCombination,
        ModelId::NewItemBlend,
    ];

    /// Its spelling in the reports.
    pub fn name(self) -> &'static str {
        match self {
            ModelId::Naive => "naive",
            ModelId::SeasonalNaive => "seasonal_naive",
            ModelId::MovingAverage => "moving_average",
            ModelId::HistoricAverage => "historic_average",
            ModelId::Zero => "zero",
            ModelId::Ses => "ses",
            ModelId::Holt => "holt",
            ModelId::HoltDamped => "holt_damped",
            ModelId::HoltWintersAdditive => "holt_winters_additive",
            ModelId::HoltWintersAdditiveDamped => "holt_winters_additive_damped",
            ModelId::HoltWintersMultiplicative => "holt_winters_multiplicative",
            ModelId::HoltWintersMultiplicativeDamped => "holt_winters_multiplicative_damped",
            ModelId::AutoEts => "auto_ets",
            ModelId::Croston => "croston",
            ModelId::CrostonSba => "croston_sba",
            ModelId::CrostonOpt => "croston_opt",
            ModelId::Tsb => "tsb",
            ModelId::TsbOpt => "tsb_opt",
            ModelId::Adida => "adida",
            ModelId::Imapa => "imapa",
            ModelId::SeasonalAdida => "seasonal_adida",
            ModelId::Theta => "theta",
            ModelId::OptimizedTheta => "theta_opt",
            ModelId::AutoTheta => "auto_theta",
            ModelId::GlobalPoisson => "global_poisson",
            ModelId::GlobalLinear => "global_linear",
            ModelId::MedianCombination => "median_combination",
            ModelId::MeanCombination => "mean_combination",
            ModelId::NewItemBlend => "new_item_blend",
        }
    }

    /// A combination of other candidates.
    pub fn is_combination(self) -> bool {
        matches!(self, ModelId::MedianCombination | ModelId::MeanCombination)
    }

    /// The model of a report spelling.
    pub fn parse(name: &str) -> Option<ModelId> {
        ModelId::ALL.into_iter().find(|m| m.name() == name)
    }
}

impl fmt::Display for ModelId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_name_parses_back_and_names_are_unique() {
        for m in ModelId::ALL {
            assert_eq!(ModelId::parse(m.name()), Some(m));
        }
        let mut names: Vec<&str> = ModelId::ALL.iter().map(|m| m.name()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), ModelId::ALL.len());
        assert_eq!(ModelId::parse("nope"), None);
    }
}
