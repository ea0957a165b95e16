"""Side-by-side of hemato and scikit-learn on the same stratified folds.

Reads the fold of every row (written by `hemato train --folds-out`) and hemato's
cross-validation results (`hemato train --json`), fits the scikit-learn model with the same
settings on the same training folds, and prints macro F1 (mean ± population std over folds,
as hemato and scikit-learn's grid search report it) and the mean fit time per fold.

Run through run.sh, which builds hemato and a private virtual environment.
"""
import argparse
import json
import time
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC


def sklearn_model(family, settings):
    """The scikit-learn estimator with the settings of benches/sklearn/settings/FAMILY.json."""
    s = settings
    if family == "logistic":
        return make_pipeline(StandardScaler(), LogisticRegression(C=s["c"], max_iter=1000))
    if family == "mlp":
        return make_pipeline(
            StandardScaler(),
            MLPClassifier(
                hidden_layer_sizes=tuple(s["hidden_layers"][0]),
                activation=s["activation"],
                alpha=s["alpha"],
                learning_rate_init=s["learning_rate"],
                batch_size=s["batch_size"],
                max_iter=s["epochs"],
                early_stopping=True,
                validation_fraction=s["validation_fraction"],
                n_iter_no_change=s["patience"],
                random_state=0,
            ),
        )
    if family == "forest":
        return RandomForestClassifier(
            n_estimators=s["trees"],
            max_features=s["max_features"],
            min_samples_leaf=s["min_samples_leaf"],
            n_jobs=-1,
            random_state=0,
        )
    if family == "boosting":
        return HistGradientBoostingClassifier(
            max_iter=s["rounds"],
            learning_rate=s["learning_rate"],
            max_leaf_nodes=s["max_leaf_nodes"],
            min_samples_leaf=s["min_samples_leaf"],
            l2_regularization=s["l2_regularization"],
            early_stopping=False,
            random_state=0,
        )
    if family == "svm":
        return make_pipeline(StandardScaler(), SVC(C=s["c"], gamma=s["gamma"]))
    raise ValueError(family)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--table", required=True)
    parser.add_argument("--folds", required=True, help="row,fold CSV from hemato train --folds-out")
    parser.add_argument("--results", required=True, help="folder with FAMILY.cv.json from hemato train --json")
    parser.add_argument("--settings", required=True, help="folder with FAMILY.json settings")
    parser.add_argument("--models", default="logistic,mlp,forest,boosting,svm")
    args = parser.parse_args()

    table = pd.read_csv(args.table, sep=None, engine="python")
    table.columns = [c.strip().replace("StDev", "StdDev", 1) if c.strip().startswith("StDev") else c.strip()
                     for c in table.columns]
    folds = pd.read_csv(args.folds)["fold"].to_numpy()
    labels = table["Class"].astype(str).str.strip().to_numpy()

    rows = []
    for family in args.models.split(","):
        hemato = json.loads((Path(args.results) / f"{family}.cv.json").read_text())
        features = hemato["features"]
        x = table[features].to_numpy(dtype=float)
        settings = json.loads((Path(args.settings) / f"{family}.json").read_text())
        scores, seconds = [], []
        for fold in sorted(set(folds)):
            train, test = folds != fold, folds == fold
            model = sklearn_model(family, settings)
            started = time.perf_counter()
            model.fit(x[train], labels[train])
            seconds.append(time.perf_counter() - started)
            scores.append(f1_score(labels[test], model.predict(x[test]), average="macro"))
        h = hemato["cross_validation"][0]
        rows.append((family, np.mean(h["fold_scores"]), np.std(h["fold_scores"]),
                     np.mean(scores), np.std(scores),
                     np.mean(h["fit_seconds"]), np.mean(seconds)))

    print("| model | hemato macro F1 | scikit-learn macro F1 | hemato fit (s) | scikit-learn fit (s) | speed-up |")
    print("| --- | --- | --- | --- | --- | --- |")
    for family, hm, hs, sm, ss, ht, st in rows:
        print(f"| {family} | {hm:.4f} ± {hs:.4f} | {sm:.4f} ± {ss:.4f} | {ht:.3f} | {st:.3f} | {st / ht:.1f}x |")


if __name__ == "__main__":
    main()
