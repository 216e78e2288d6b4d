"""pytest at the repository root: the docstring examples of cnnviz/ run as tests (--doctest-modules), except the
dashboard's modules, which import Streamlit and run their page when imported, and the deprecated aliases of moved
modules, which warn when imported (tests/test_architecture.py checks them)."""

import pytest

#: the dashboard, and the deprecated alias modules of moved ones (they warn when imported)
collect_ignore = ["cnnviz/dashboard", "cnnviz/images.py", "cnnviz/callbacks.py", "cnnviz/objectives.py",
                  "cnnviz/param.py", "cnnviz/transforms.py"]


# The lanes: `make test` runs everything; `make test-fast` (the edit loop) leaves out what is marked slow or
# browser. Whole files that train, start servers, build wheels, run notebooks or write reports are slow here,
# so a new test in them joins the slow lane without a marker; elsewhere mark a test with @pytest.mark.slow.
SLOW_FILES = {
    "test_distribute.py", "test_train.py", "test_wheel.py", "test_notebook.py", "test_report.py",
    "test_snapshots.py", "test_dashboard_browser.py", "test_zoo_dashboard.py", "test_readme.py",
    "test_real_model_gradients.py", "test_load.py",
}
#: single tests over ~2.5 s each in the fast lane (measured with `--durations=0` on 2 cores), by file; a
#: parametrized test counts as one. Zoo tests on MobileNetV2 (the largest zoo model) are slow too.
SLOW_TESTS = {
    "test_architecture.py": {"test_importing_any_module_changes_nothing_in_the_process",
                             "test_moved_public_modules_keep_their_old_path_for_one_release_with_a_warning"},
    "test_atlas.py": {"test_class_logits_equal_keras_logits_sorted", "test_exact_under_mirrored_strategy_on_two_logical_cpus",
                      "test_memory_is_bounded_by_the_batch_not_the_dataset", "test_the_filters_page_shows_the_shipped_atlas"},
    "test_cli.py": {"test_missing_data_falls_back_to_the_sample_once_and_says_so", "test_train_and_evaluate_on_the_sample",
                    "test_visualization_commands_write_figures"},
    "test_concepts.py": {"test_dictionary_is_non_negative_and_shaped", "test_plots_render"},
    "test_dashboard_app.py": {"test_class_images_page_class_changes_image_and_downloads",
                              "test_convolution_page_slides_and_plays", "test_filters_page_patterns_and_top_examples",
                              "test_train_page_trains_and_the_model_is_used_everywhere"},
    "test_dashboard_memory.py": {"test_evicted_models_are_collected"},
    "test_dashboard_snapshots.py": {"test_replay_slider_walks_through_the_shipped_run"},
    "test_data_policy.py": {"test_cli_evaluate_without_full_mnist_uses_the_sample_and_says_so_once"},
    "test_docs.py": {"test_the_site_builds_strictly"},
    "test_features.py": {"test_maximize_and_attribution_on_a_functional_rgb_model"},
    "test_hidden_state.py": {"test_class_images_after_training_equal_a_fresh_copy_of_the_same_weights",
                             "test_dropout_in_a_given_model_follows_the_seed",
                             "test_style_blocks_in_overlapping_threads_leave_rcparams_as_they_were",
                             "test_train_with_a_seed_leaves_global_random_state_alone_and_is_reproducible"},
    "test_images.py": {"test_cli_describes_the_model_and_warns_on_a_contradicting_range"},
    "test_lazy_import.py": {"test_import_cnnviz_has_no_side_effects_and_every_name_resolves"},
    "test_maximize.py": {"test_filter_patterns_excite_their_own_filter_most", "test_l1_makes_fewer_pixels_light_up",
                         "test_the_tutorials_experiment_in_one_call"},
    "test_optvis.py": {"test_a_colour_functional_model_through_every_parameterisation",
                       "test_default_penalties_follow_the_size_of_the_logits",
                       "test_each_penalty_lowers_what_it_penalizes", "test_four_different_sixes_all_on_target",
                       "test_long_runs_keep_a_bounded_trace",
                       "test_the_class_image_page_offers_param_prior_diversity_and_objective",
                       "test_the_cli_makes_four_data_prior_sixes"},
    "test_readme_byom.py": {"test_bring_your_own_model_runs_as_written"},
    "test_sanity.py": {"test_trust_checks_on_zoo_models_leave_them_untouched"},
    "test_trust_surfaces.py": {"test_cli_check_writes_both_figures_and_says_the_verdicts",
                               "test_dashboard_trust_expander_runs_on_demand"},
    "test_workflow.py": {"test_python_dash_m_cnnviz_is_the_command"},
    "test_zoo.py": {"test_maximize_raises_the_target_probability_as_the_model_reads_it"},
}
SLOW_PARAMS = ("mobilenet_v2",)
SLOW_DOCTEST_MODULES = ("training/loop.py", "training/results.py", "training/callbacks.py", "replay.py",
                        "report/__init__.py", "training/snapshots.py", "maximize.py", "concepts/fit.py",
                        "training/experiments.py")


#: the test files that take longest (minutes each on 2 cores), longest first. They are collected first, and the
#: Makefile runs xdist with --no-loadscope-reorder, so they start first on the parallel workers and the run does
#: not end with one worker alone on a long file (xdist otherwise orders files by their number of tests).
LONGEST_FILES = ("test_report.py", "test_real_model_gradients.py", "test_distribute.py", "test_dashboard_app.py",
                 "test_dashboard_browser.py", "test_zoo_dashboard.py", "test_notebook.py", "test_readme.py",
                 "test_snapshots.py", "test_train.py", "test_load.py", "test_zoo.py", "test_optvis.py",
                 "test_wheel.py")


def _longest_first(item) -> int:
    name = item.path.name
    return LONGEST_FILES.index(name) if name in LONGEST_FILES else len(LONGEST_FILES)


def pytest_collection_modifyitems(config, items):
    items.sort(key=_longest_first)  # stable: the order inside a file is kept
    for item in items:
        path = str(item.path)
        doctest = item.__class__.__name__ == "DoctestItem"
        slow_test = not doctest and (item.path.name in SLOW_FILES
                                     or getattr(item, "originalname", "") in SLOW_TESTS.get(item.path.name, ())
                                     or any(p in item.name for p in SLOW_PARAMS))
        if slow_test or (doctest and path.endswith(SLOW_DOCTEST_MODULES)):
            item.add_marker(pytest.mark.slow)


@pytest.fixture(autouse=True)
def _docstring_examples_write_in_a_temporary_folder(request):
    """A docstring example that writes ``report.pdf`` writes it in its own temporary folder, not in the checkout
    or a fixed ``/tmp`` path (examples run in parallel workers and must not meet)."""
    if request.node.__class__.__name__ == "DoctestItem":
        monkeypatch = request.getfixturevalue("monkeypatch")
        monkeypatch.chdir(request.getfixturevalue("tmp_path"))
