// `qat data fmnist-scenes [options]` and `qat data inspect FILE` (`qat data import` is in
// data_import_command.cpp)
#include <iostream>

#include "cli/command.h"
#include "qat/data/dataset.h"
#include "qat/data/scene_composer.h"

namespace qat::cli {

void add_data_command(CLI::App& app, Action& action) {
  auto* data = app.add_subcommand("data", "Make and inspect detection datasets");
  data->require_subcommand(1);

  auto scenes = std::make_shared<data::SceneOptions>();
  auto out = std::make_shared<std::string>("data/fmnist-scenes.h5");
  auto rare = std::make_shared<std::vector<std::string>>();
  auto* fm = data->add_subcommand("fmnist-scenes", "Compose detection scenes from Fashion-MNIST (Debian's copy)");
  fm->add_option("--images", scenes->images, "Images in total (train + val)")->capture_default_str();
  fm->add_option("--size", scenes->size, "Image side in pixels")->capture_default_str();
  fm->add_option("--val-fraction", scenes->val_fraction, "Share of images in the val split")->capture_default_str();
  fm->add_option("--min-objects", scenes->min_objects, "Fewest objects per image")->capture_default_str();
  fm->add_option("--max-objects", scenes->max_objects, "Most objects per image")->capture_default_str();
  fm->add_option("--scale-min", scenes->scale_min, "Smallest item scale (x 28 px)")->capture_default_str();
  fm->add_option("--scale-max", scenes->scale_max, "Largest item scale (x 28 px)")->capture_default_str();
  fm->add_option("--max-overlap", scenes->max_overlap_iou, "Largest IoU between two boxes")->capture_default_str();
  fm->add_option("--rare", *rare, "CLASS=WEIGHT: relative prevalence of a class (others 1); repeatable");
  fm->add_option("--seed", scenes->seed, "Random seed")->capture_default_str();
  fm->add_option("--fmnist-dir", scenes->fmnist_dir, "Fashion-MNIST IDX files")->capture_default_str();
  fm->add_option("--out", *out, "Output HDF5 file")->capture_default_str();
  fm->callback([&action, scenes, out, rare] {
    for (const auto& r : *rare) {
      const auto eq = r.find('=');
      try {
        if (eq == std::string::npos) throw std::invalid_argument(r);
        const auto cls = std::stoul(r.substr(0, eq));
        const double weight = std::stod(r.substr(eq + 1));
        if (cls >= scenes->class_weights.size()) throw std::out_of_range(r);
        scenes->class_weights[cls] = weight;
      } catch (const std::exception&) {
        throw CLI::ValidationError("--rare", "expected CLASS=WEIGHT with CLASS in 0..9, got '" + r + "'");
      }
    }
    action = [scenes, out] {
      data::compose_fmnist_scenes(*scenes, *out);
      return 0;
    };
  });

  auto file = std::make_shared<std::string>();
  auto* inspect = data->add_subcommand("inspect", "Validate a dataset file and print its contents per split");
  inspect->add_option("file", *file, "HDF5 detection dataset")->required();
  inspect->callback([&action, file] {
    action = [file] {
      std::cout << data::describe_dataset(*file);
      return 0;
    };
  });

  add_data_import_command(*data, action);
}

}  // namespace qat::cli
