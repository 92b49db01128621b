// `qat recipe check|show FILE [--set key=value ...]`
#include <iostream>

#include "cli/command.h"
#include "qat/recipe/recipe.h"
#include "qat/recipe/recipe_check.h"

namespace qat::cli {

void add_recipe_command(CLI::App& app, Action& action) {
  auto* recipe = app.add_subcommand("recipe", "Validate or print a recipe");
  recipe->require_subcommand(1);

  struct Args {
    std::string file;
    std::vector<std::string> overrides;
  };
  auto args = std::make_shared<Args>();
  auto add_common = [&](CLI::App* sub) {
    sub->add_option("file", args->file, "Recipe YAML")->required();
    sub->add_option("--set", args->overrides, "Override a value: key.path=value (repeatable)");
  };

  auto* check = recipe->add_subcommand("check", "Validate a recipe strictly (and an imported model's names); exit 2 on any error");
  add_common(check);
  check->callback([&action, args] {
    action = [args] {
      const Recipe r = load_recipe(args->file, args->overrides);
      check_imported_model(r);
      std::cout << args->file << ": ok (name " << r.name << ", hash " << r.hash().substr(0, 12)
                << ")\n";
      return 0;
    };
  });

  auto* show = recipe->add_subcommand("show", "Print the recipe with every default filled in");
  add_common(show);
  show->callback([&action, args] {
    action = [args] {
      std::cout << load_recipe(args->file, args->overrides).to_yaml_text();
      return 0;
    };
  });
}

}  // namespace qat::cli
