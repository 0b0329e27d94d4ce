//! `@searchable`: the search query, its filter, sort and aggregation types.

use apollo_compiler::Node;
use apollo_compiler::ast::{Definition, DirectiveList, UnionTypeDefinition};

use super::ir::ModelField;
use super::sdl::{enumeration, field, input, input_object, name, named, object, object_with};

/// The scalar a searchable field is filtered as: AWS scalars by their JSON type.
pub(super) fn search_scalar(scalar: &str) -> &'static str {
    match scalar {
        "ID" => "ID",
        "Int" | "AWSTimestamp" => "Int",
        "Float" => "Float",
        "Boolean" => "Boolean",
        _ => "String",
    }
}

/// The types of `@searchable` on model `m`, as Amplify's searchable transformer
/// makes them; the shared ones once (`emitted`).
pub(super) fn searchable_types(
    m: &str,
    filterable: &[&ModelField],
    timestamps: &[&String],
    sortable: &[String],
    emitted: &mut std::collections::HashSet<String>,
    connection_directives: &[&'static str],
) -> Vec<Definition> {
    let mut out = Vec::new();
    if emitted.insert("Searchable".into()) {
        const ID_OR_STRING: [&str; 14] = [
            "ne",
            "gt",
            "lt",
            "gte",
            "lte",
            "eq",
            "match",
            "matchPhrase",
            "matchPhrasePrefix",
            "multiMatch",
            "exists",
            "wildcard",
            "regexp",
            "range",
        ];
        for scalar in ["String", "Int", "Float", "Boolean", "ID"] {
            let conditions: &[&str] = match scalar {
                "String" | "ID" => &ID_OR_STRING,
                "Boolean" => &["eq", "ne"],
                _ => &["ne", "gt", "lt", "gte", "lte", "eq", "range"],
            };
            out.push(input_object(
                &format!("Searchable{scalar}FilterInput"),
                conditions
                    .iter()
                    .map(|c| match *c {
                        "range" => input(c, named(scalar).list()),
                        "exists" => input(c, named("Boolean")),
                        _ => input(c, named(scalar)),
                    })
                    .collect(),
            ));
        }
        out.push(enumeration("SearchableSortDirection", &["asc", "desc"]));
        out.push(enumeration(
            "SearchableAggregateType",
            &["terms", "avg", "min", "max", "sum", "cardinality"],
        ));
        out.push(object(
            "SearchableAggregateResult",
            vec![
                field("name", Vec::new(), named("String").non_null(), Vec::new()),
                field(
                    "result",
                    Vec::new(),
                    named("SearchableAggregateGenericResult"),
                    Vec::new(),
                ),
            ],
        ));
        out.push(object(
            "SearchableAggregateScalarResult",
            vec![field(
                "value",
                Vec::new(),
                named("Float").non_null(),
                Vec::new(),
            )],
        ));
        out.push(object(
            "SearchableAggregateBucketResult",
            vec![field(
                "buckets",
                Vec::new(),
                named("SearchableAggregateBucketResultItem").list(),
                Vec::new(),
            )],
        ));
        out.push(object(
            "SearchableAggregateBucketResultItem",
            vec![
                field("key", Vec::new(), named("String").non_null(), Vec::new()),
                field("doc_count", Vec::new(), named("Int").non_null(), Vec::new()),
            ],
        ));
        out.push(Definition::UnionTypeDefinition(Node::new(
            UnionTypeDefinition {
                description: None,
                name: name("SearchableAggregateGenericResult"),
                directives: DirectiveList::default(),
                members: vec![
                    name("SearchableAggregateScalarResult"),
                    name("SearchableAggregateBucketResult"),
                ],
            },
        )));
    }
    let filter_name = format!("Searchable{m}FilterInput");
    let mut filter: Vec<_> = filterable
        .iter()
        .filter(|f| f.is_scalar)
        .map(|f| {
            input(
                &f.name,
                named(&format!(
                    "Searchable{}FilterInput",
                    search_scalar(f.ty.inner_named_type().as_str())
                )),
            )
        })
        .collect();
    filter.extend(
        timestamps
            .iter()
            .map(|t| input(t, named("SearchableStringFilterInput"))),
    );
    filter.extend(
        filterable
            .iter()
            .filter(|f| f.is_enum)
            .map(|f| input(&f.name, named("SearchableStringFilterInput"))),
    );
    filter.extend([
        input("and", named(&filter_name).list()),
        input("or", named(&filter_name).list()),
        input("not", named(&filter_name)),
    ]);
    out.push(input_object(&filter_name, filter));
    let sortable: Vec<&str> = sortable.iter().map(String::as_str).collect();
    out.push(enumeration(
        &format!("Searchable{m}SortableFields"),
        &sortable,
    ));
    out.push(input_object(
        &format!("Searchable{m}SortInput"),
        vec![
            input("field", named(&format!("Searchable{m}SortableFields"))),
            input("direction", named("SearchableSortDirection")),
        ],
    ));
    let mut aggregate: Vec<&str> = filterable.iter().map(|f| f.name.as_str()).collect();
    aggregate.extend(timestamps.iter().map(|t| t.as_str()));
    out.push(enumeration(
        &format!("Searchable{m}AggregateField"),
        &aggregate,
    ));
    out.push(input_object(
        &format!("Searchable{m}AggregationInput"),
        vec![
            input("name", named("String").non_null()),
            input("type", named("SearchableAggregateType").non_null()),
            input(
                "field",
                named(&format!("Searchable{m}AggregateField")).non_null(),
            ),
        ],
    ));
    out.push(object_with(
        &format!("Searchable{m}Connection"),
        vec![
            field("items", Vec::new(), named(m).list().non_null(), Vec::new()),
            field("nextToken", Vec::new(), named("String"), Vec::new()),
            field("total", Vec::new(), named("Int"), Vec::new()),
            field(
                "aggregateItems",
                Vec::new(),
                named("SearchableAggregateResult").list().non_null(),
                Vec::new(),
            ),
        ],
        connection_directives,
    ));
    out
}

/// The types every searchable model's aggregations share.
const AGGREGATE_TYPES: [&str; 4] = [
    "SearchableAggregateResult",
    "SearchableAggregateScalarResult",
    "SearchableAggregateBucketResult",
    "SearchableAggregateBucketResultItem",
];

/// Put `directives` (the auth directives of all searchable models) on the
/// shared aggregate types, as Amplify's auth transformer does: without them
/// AppSync answers only the default mode's callers on these types' fields.
pub(super) fn add_aggregate_directives(definitions: &mut [Definition], directives: &[&str]) {
    for d in definitions {
        if let Definition::ObjectTypeDefinition(object) = d
            && AGGREGATE_TYPES.contains(&object.name.as_str())
        {
            object.make_mut().directives = super::sdl::plain_directives(directives);
        }
    }
}
