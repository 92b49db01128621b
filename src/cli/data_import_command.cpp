// `qat data import coco --split NAME=JSON:IMAGES_DIR ... --out FILE` and
// `qat data import yolo ROOT [--split NAME ...] --out FILE`
#include "cli/command.h"
#include "qat/data/coco_import.h"
#include "qat/data/yolo_import.h"

namespace qat::cli {

void add_data_import_command(CLI::App& data, Action& action) {
  auto* import = data.add_subcommand("import", "Convert a COCO or YOLO detection folder to the HDF5 dataset format");
  import->require_subcommand(1);

  auto coco = std::make_shared<data::CocoImportOptions>();
  auto specs = std::make_shared<std::vector<std::string>>();
  auto* c = import->add_subcommand("coco", "Import COCO instances_*.json annotations, one per split");
  c->add_option("--split", *specs, "NAME=JSON:IMAGES_DIR, e.g. train=annotations/instances_train.json:train; repeatable")
      ->required();
  c->add_option("--size", coco->size, "Side of the square (letterboxed) images")->capture_default_str();
  c->add_option("--out", coco->out, "Output HDF5 file")->required();
  c->add_flag("--allow-outside", coco->allow_outside,
              "Allow file_name entries outside IMAGES_DIR (absolute, '..', symbolic links leading out)");
  c->callback([&action, coco, specs] {
    action = [coco, specs] {
      for (const auto& s : *specs) coco->splits.push_back(data::CocoSplitSource::parse(s));
      data::import_coco(*coco);
      return 0;
    };
  });

  auto yolo = std::make_shared<data::YoloImportOptions>();
  auto* y = import->add_subcommand("yolo", "Import a YOLO folder: classes.txt, images/<split>/, labels/<split>/");
  y->add_option("root", yolo->root, "Folder holding classes.txt, images/ and labels/")->required();
  y->add_option("--split", yolo->splits, "Split to import (default: every folder under images/); repeatable");
  y->add_option("--size", yolo->size, "Side of the square (letterboxed) images")->capture_default_str();
  y->add_option("--out", yolo->out, "Output HDF5 file")->required();
  y->add_flag("--allow-outside", yolo->allow_outside,
              "Allow images and label files that are symbolic links leading out of ROOT");
  y->callback([&action, yolo] {
    action = [yolo] {
      data::import_yolo(*yolo);
      return 0;
    };
  });
}

}  // namespace qat::cli
