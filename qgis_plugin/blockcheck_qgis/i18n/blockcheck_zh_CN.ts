<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="zh_CN">
  <context>
    <name>blockcheck</name>
    <message>
      <source>blockcheck cannot run in this QGIS:</source>
      <translation>blockcheck 无法在此 QGIS 中运行：</translation>
    </message>
    <message>
      <source>missing (not installed)</source>
      <translation>缺少（未安装）</translation>
    </message>
    <message>
      <source>incompatible</source>
      <translation>不兼容</translation>
    </message>
    <message>
      <source>too old</source>
      <translation>版本过旧</translation>
    </message>
    <message>
      <source>installed but fails to import</source>
      <translation>已安装但无法导入</translation>
    </message>
    <message>
      <source>built for numpy {wanted}, while QGIS imports numpy {numpy}</source>
      <translation>为 numpy {wanted} 构建，而 QGIS 导入的是 numpy {numpy}</translation>
    </message>
    <message>
      <source>built for another numpy than the one QGIS imports ({numpy})</source>
      <translation>为另一个 numpy 版本构建，与 QGIS 导入的 numpy（{numpy}）不符</translation>
    </message>
    <message>
      <source>in the user site {where}, it hides the numpy {qgis} of QGIS's own Python, which QGIS's GDAL tools need; remove it from there: {command}</source>
      <translation>位于用户目录 {where}，遮盖了 QGIS 自带 Python 的 numpy {qgis}（QGIS 的 GDAL 工具需要它）；请从该处删除：{command}</translation>
    </message>
    <message>
      <source>Install its packages into its own folder {folder} with this command (QGIS's own packages stay untouched), then restart QGIS:</source>
      <translation>请用以下命令把所需软件包安装到插件自己的文件夹 {folder}（不改动 QGIS 自带的软件包），然后重启 QGIS：</translation>
    </message>
    <message>
      <source>The plugin never installs anything by itself.</source>
      <translation>本插件不会自行安装任何软件。</translation>
    </message>
    <message>
      <source>the installed packages do not work with the libraries QGIS has loaded</source>
      <translation>已安装的软件包与 QGIS 已加载的库不兼容</translation>
    </message>
    <message>
      <source>found</source>
      <translation>现有版本</translation>
    </message>
    <message>
      <source>not importable</source>
      <translation>无法导入</translation>
    </message>
    <message>
      <source>(plugin and package versions must match)</source>
      <translation>（插件与分析包的版本必须一致）</translation>
    </message>
    <message>
      <source>1 · Input</source>
      <translation>1 · 输入数据</translation>
    </message>
    <message>
      <source>2 · Four steps (四步走)</source>
      <translation>2 · 四步走</translation>
    </message>
    <message>
      <source>3 · Scenarios and hearings</source>
      <translation>3 · 情景与听证</translation>
    </message>
    <message>
      <source>Blocks (街区)</source>
      <translation>街区</translation>
    </message>
    <message>
      <source>Residential communities (社区)</source>
      <translation>社区</translation>
    </message>
    <message>
      <source>Roads (道路)</source>
      <translation>道路</translation>
    </message>
    <message>
      <source>Green spaces (绿地)</source>
      <translation>绿地</translation>
    </message>
    <message>
      <source>Facilities (公共服务与市政设施)</source>
      <translation>公共服务与市政设施</translation>
    </message>
    <message>
      <source>Entrances and gates (出入口)</source>
      <translation>出入口</translation>
    </message>
    <message>
      <source>Buildings (建筑)</source>
      <translation>建筑</translation>
    </message>
    <message>
      <source>Land parcels (地块)</source>
      <translation>地块</translation>
    </message>
    <message>
      <source>Parking (停车设施)</source>
      <translation>停车设施</translation>
    </message>
    <message>
      <source>Field mapping (TOML, optional)</source>
      <translation>字段映射（TOML，可选）</translation>
    </message>
    <message>
      <source>Standards profile</source>
      <translation>标准配置</translation>
    </message>
    <message>
      <source>Standards overrides (TOML over the Beijing profile, optional)</source>
      <translation>标准覆盖文件（基于北京标准的 TOML，可选）</translation>
    </message>
    <message>
      <source>Working CRS in metres (optional; default: from the data)</source>
      <translation>工作坐标系（米制，可选；默认取自数据）</translation>
    </message>
    <message>
      <source>Repair invalid geometries</source>
      <translation>修复无效几何</translation>
    </message>
    <message>
      <source>Beijing (北京)</source>
      <translation>北京</translation>
    </message>
    <message>
      <source>National (全国)</source>
      <translation>全国</translation>
    </message>
    <message>
      <source>Export hearing maps / atlas</source>
      <translation>导出听证会地图／图册</translation>
    </message>
    <message>
      <source>Writes the hearing exports of a workbook: map images (a folder) and/or an atlas PDF with one section per block, with Chinese (default) or English labels. Leave an output empty to skip it. The QGIS print layout (toolbar: Export hearing layout) is the alternative made in QGIS.</source>
      <translation>导出工作簿的听证会材料：地图图片（一个文件夹）和／或每个街区一节的图册 PDF，标注为中文（默认）或英文。输出留空即跳过。也可使用 QGIS 打印布局（工具栏：导出听证会布局）。</translation>
    </message>
    <message>
      <source>Drawing the hearing exports</source>
      <translation>正在绘制听证会材料</translation>
    </message>
    <message>
      <source>Workbook (workbook.gpkg)</source>
      <translation>工作簿（workbook.gpkg）</translation>
    </message>
    <message>
      <source>Language</source>
      <translation>语言</translation>
    </message>
    <message>
      <source>Resolution of the map images (dpi)</source>
      <translation>地图图片分辨率（dpi）</translation>
    </message>
    <message>
      <source>Maps to draw (names, comma-separated; empty: all)</source>
      <translation>要绘制的地图（名称，逗号分隔；留空为全部）</translation>
    </message>
    <message>
      <source>Map images folder</source>
      <translation>地图图片文件夹</translation>
    </message>
    <message>
      <source>Atlas PDF</source>
      <translation>图册 PDF</translation>
    </message>
    <message>
      <source>Map images written (one path a line)</source>
      <translation>已写出的地图图片（每行一个路径）</translation>
    </message>
    <message>
      <source>Choose a map images folder, an atlas PDF, or both.</source>
      <translation>请选择地图图片文件夹、图册 PDF，或两者。</translation>
    </message>
    <message>
      <source>Chinese (中文)</source>
      <translation>中文</translation>
    </message>
    <message>
      <source>English</source>
      <translation>英文</translation>
    </message>
    <message>
      <source>Run health check</source>
      <translation>街区体检评估</translation>
    </message>
    <message>
      <source>Step 1 (体检评估): validates the layers, computes every block's metrics (road density, population, park green per person, facility supply and gaps against the standards, walking life circles …) and the problem list (图1). Writes workbook.gpkg in the output folder and adds block_metrics (styled) and problem_list to the project. The layers as read from QGIS are kept as input_from_qgis.gpkg next to the workbook.</source>
      <translation>第一步（体检评估）：校验图层，计算每个街区的指标（路网密度、人口、人均公园绿地、设施供给及对照标准的缺口、步行生活圈……）并生成问题清单（图1）。在输出文件夹写出 workbook.gpkg，并把 block_metrics（已设样式）和 problem_list 加入项目。从 QGIS 读取的图层保存为工作簿旁的 input_from_qgis.gpkg。</translation>
    </message>
    <message>
      <source>Find resources</source>
      <translation>识别资源</translation>
    </message>
    <message>
      <source>The health check plus the resource list (资源清单, 图2): idle sites, low-quality spaces, planned land, idle rooms, low-efficiency buildings, roofs, expandable facilities, underground space … one feature per resource with the rule and reason. Statuses set by analysts are kept when you run again into the same folder.</source>
      <translation>体检评估加资源清单（图2）：闲置场地、低品质空间、规划用地、闲置用房、低效楼宇、屋顶、可扩容设施、地下空间……每处资源一个要素，附识别规则和依据。再次输出到同一文件夹时保留分析人员设定的状态。</translation>
    </message>
    <message>
      <source>Build the eight lists</source>
      <translation>生成八清单</translation>
    </message>
    <message>
      <source>All four steps (四步走): problems, resources, demands and visions from the resident surveys, strategies, policies, tasks and projects (八清单), plus eight_lists.xlsx. Rows analysts edited or added and the project history are kept when you run again into the same folder.</source>
      <translation>完整四步走：问题、资源，依据居民调查的需求与愿景，策略、政策、任务和项目（八清单），并输出 eight_lists.xlsx。再次输出到同一文件夹时保留分析人员编辑或新增的行以及项目变更记录。</translation>
    </message>
    <message>
      <source>Saving styles into the workbook</source>
      <translation>正在把样式保存到工作簿</translation>
    </message>
    <message>
      <source>Population raster (optional)</source>
      <translation>人口栅格（可选）</translation>
    </message>
    <message>
      <source>Output folder (workbook.gpkg)</source>
      <translation>输出文件夹（workbook.gpkg）</translation>
    </message>
    <message>
      <source>Workbook GeoPackage</source>
      <translation>工作簿 GeoPackage</translation>
    </message>
    <message>
      <source>Eight lists (Excel)</source>
      <translation>八清单（Excel）</translation>
    </message>
    <message>
      <source>Summary</source>
      <translation>摘要</translation>
    </message>
    <message>
      <source>Workbook layers</source>
      <translation>工作簿图层</translation>
    </message>
    <message>
      <source>Demand survey (CSV/XLSX in the 图3 layout, optional)</source>
      <translation>需求调查表（图3 格式的 CSV/XLSX，可选）</translation>
    </message>
    <message>
      <source>Vision survey (CSV/XLSX in the 图4 layout, optional)</source>
      <translation>愿景调查表（图4 格式的 CSV/XLSX，可选）</translation>
    </message>
    <message>
      <source>Rows in {table}</source>
      <translation>{table} 行数</translation>
    </message>
    <message>
      <source>Validate inputs</source>
      <translation>校验输入数据</translation>
    </message>
    <message>
      <source>Checks the input layers against blockcheck's data model and reports every problem at once (layer, field, feature ids, how to fix it). Only Blocks is required; the field mapping points the model at your own layer, field and category names. Writes validation_report.txt and, when there is no error, input_checked.gpkg (the layers in the working CRS). Fails with the report when there are errors.</source>
      <translation>按 blockcheck 数据模型检查输入图层，一次列出全部问题（图层、字段、要素编号及修改方法）。只有街区图层必填；字段映射把模型对应到您自己的图层名、字段名和分类值。写出 validation_report.txt，无错误时另写出 input_checked.gpkg（工作坐标系下的图层）。有错误时以报告内容报错。</translation>
    </message>
    <message>
      <source>Output folder</source>
      <translation>输出文件夹</translation>
    </message>
    <message>
      <source>Validation report</source>
      <translation>校验报告</translation>
    </message>
    <message>
      <source>Checked input GeoPackage</source>
      <translation>校验后的输入 GeoPackage</translation>
    </message>
    <message>
      <source>Errors</source>
      <translation>错误</translation>
    </message>
    <message>
      <source>Warnings</source>
      <translation>警告</translation>
    </message>
    <message>
      <source>Report text</source>
      <translation>报告文本</translation>
    </message>
    <message>
      <source>What-if</source>
      <translation>情景模拟</translation>
    </message>
    <message>
      <source>Re-runs the health check of a workbook as if the chosen projects (project_id, comma-separated) were built: facility projects add their capacity at their site, road projects turn the planned roads they cover into built roads. The table has one row per scope (block or ALL) and metric: before, after, change.</source>
      <translation>假设所选项目（project_id，逗号分隔）已建成，重新进行体检评估：设施项目在其选址增加相应能力，道路项目把覆盖的规划道路改为已建。结果表每个范围（街区或 ALL）和指标一行：之前、之后、变化。</translation>
    </message>
    <message>
      <source>Project ids (comma-separated)</source>
      <translation>项目编号（逗号分隔）</translation>
    </message>
    <message>
      <source>What-if gaps</source>
      <translation>情景模拟缺口</translation>
    </message>
    <message>
      <source>Re-running the health check with {n} project(s)</source>
      <translation>正在按 {n} 个项目重新体检</translation>
    </message>
    <message>
      <source>Canceled.</source>
      <translation>已取消。</translation>
    </message>
    <message>
      <source>Layers of {workbook} are being edited: {layers}. Save or discard their edits (toggle editing off) and run again: the run rewrites the workbook's tables.</source>
      <translation>{workbook} 的图层正在编辑：{layers}。请先保存或放弃这些编辑（关闭编辑状态）再运行：运行会重写工作簿中的表。</translation>
    </message>
    <message>
      <source>blockcheck stopped on an unexpected error: {error} ({versions}); the traceback is in the log.</source>
      <translation>blockcheck 因意外错误而停止：{error}（{versions}）；错误追踪见日志。</translation>
    </message>
    <message>
      <source>Cannot write the population raster to {path}</source>
      <translation>无法把人口栅格写到 {path}</translation>
    </message>
    <message>
      <source>is already used</source>
      <translation>已被使用</translation>
    </message>
    <message>
      <source>is not a number</source>
      <translation>不是数字</translation>
    </message>
    <message>
      <source>blockcheck checklist editor (清单编辑)</source>
      <translation>blockcheck 清单编辑</translation>
    </message>
    <message>
      <source>Open workbook…</source>
      <translation>打开工作簿…</translation>
    </message>
    <message>
      <source>Add from map selection</source>
      <translation>从地图选择添加</translation>
    </message>
    <message>
      <source>Turn the selected features of the active layer into rows of the resource or project list</source>
      <translation>把当前图层中选中的要素添加为资源清单或项目清单的行</translation>
    </message>
    <message>
      <source>Zoom to selection</source>
      <translation>缩放至所选</translation>
    </message>
    <message>
      <source>Reason for project changes (kept in project_history)</source>
      <translation>项目变更原因（记入项目变更记录）</translation>
    </message>
    <message>
      <source>Open a blockcheck workbook</source>
      <translation>打开 blockcheck 工作簿</translation>
    </message>
    <message>
      <source>Edits are saved to the workbook at once.</source>
      <translation>编辑内容即时保存到工作簿。</translation>
    </message>
    <message>
      <source>Resource category</source>
      <translation>资源类别</translation>
    </message>
    <message>
      <source>Category of the new resources:</source>
      <translation>新资源的类别：</translation>
    </message>
    <message>
      <source>Project domain</source>
      <translation>项目领域</translation>
    </message>
    <message>
      <source>Domain of the new projects:</source>
      <translation>新项目的领域：</translation>
    </message>
    <message>
      <source>No workbook</source>
      <translation>未打开工作簿</translation>
    </message>
    <message>
      <source>Add from map selection works on the resource list and the project list: open one of those tabs.</source>
      <translation>“从地图选择添加”适用于资源清单和项目清单：请切换到其中一个标签页。</translation>
    </message>
    <message>
      <source>Select features on a vector layer first and make it the active layer.</source>
      <translation>请先在矢量图层上选择要素，并把该图层设为当前图层。</translation>
    </message>
    <message>
      <source>These features are rows of this list already.</source>
      <translation>这些要素已经是本清单的行。</translation>
    </message>
    <message>
      <source>The workbook was rewritten by a run; the lists were read again.</source>
      <translation>工作簿已被重新运行覆盖；清单已重新读取。</translation>
    </message>
    <message>
      <source>{n} row(s) added to the workbook</source>
      <translation>已向工作簿添加 {n} 行</translation>
    </message>
    <message>
      <source>{domain} project {n}</source>
      <translation>{domain}项目 {n}</translation>
    </message>
    <message>
      <source>the workbook was rewritten by a run; the editor has reloaded it, please repeat the change</source>
      <translation>工作簿已被重新运行覆盖；编辑器已重新加载，请重新修改</translation>
    </message>
    <message>
      <source>the GeoPackage refused the change</source>
      <translation>GeoPackage 拒绝了此修改</translation>
    </message>
    <message>
      <source>the GeoPackage refused the new rows</source>
      <translation>GeoPackage 拒绝了新增的行</translation>
    </message>
    <message>
      <source>project_history refused the entries</source>
      <translation>项目变更记录无法写入</translation>
    </message>
    <message>
      <source>{path} is not a blockcheck workbook (no block_metrics layer).</source>
      <translation>{path} 不是 blockcheck 工作簿（没有 block_metrics 图层）。</translation>
    </message>
    <message>
      <source>Saved to the workbook</source>
      <translation>已保存到工作簿</translation>
    </message>
    <message>
      <source> · {n} change(s) recorded in project_history</source>
      <translation> · 已在项目变更记录中记下 {n} 项变更</translation>
    </message>
    <message>
      <source>Values</source>
      <translation>取值</translation>
    </message>
    <message>
      <source>required</source>
      <translation>必填</translation>
    </message>
    <message>
      <source>Not saved: {error}</source>
      <translation>未保存：{error}</translation>
    </message>
    <message>
      <source>{path} has no block_metrics layer: run the health check first.</source>
      <translation>{path} 没有 block_metrics 图层：请先进行体检评估。</translation>
    </message>
    <message>
      <source>The hearing layout could not be exported to {path}: {error}</source>
      <translation>听证会布局无法导出到 {path}：{error}</translation>
    </message>
    <message>
      <source>blockcheck</source>
      <translation>blockcheck</translation>
    </message>
    <message>
      <source>Checklist editor (清单编辑)</source>
      <translation>清单编辑器</translation>
    </message>
    <message>
      <source>Export hearing layout (PDF)</source>
      <translation>导出听证会布局（PDF）</translation>
    </message>
    <message>
      <source>blockcheck algorithms (Processing)</source>
      <translation>blockcheck 处理算法</translation>
    </message>
    <message>
      <source>blockcheck's packages are missing or incompatible; see Details for the install command.</source>
      <translation>blockcheck 所需的软件包缺失或不兼容；安装命令见“详细信息”。</translation>
    </message>
    <message>
      <source>Export the hearing layout</source>
      <translation>导出听证会布局</translation>
    </message>
    <message>
      <source>Open Processing ▸ Toolbox and search for blockcheck.</source>
      <translation>请打开“处理 ▸ 工具箱”并搜索 blockcheck。</translation>
    </message>
    <message>
      <source>Hearing layout exported to {path}</source>
      <translation>听证会布局已导出到 {path}</translation>
    </message>
    <message>
      <source>blockcheck (街区体检)</source>
      <translation>blockcheck 街区体检</translation>
    </message>
    <message>
      <source> · {n} selected feature(s) left out: resources already ({ids})</source>
      <translation> · 所选要素中有 {n} 个已是资源，未重复添加（{ids}）</translation>
    </message>
    <message>
      <source>Not added: the selected features are resources already ({ids}); select features that are not in the resource list yet.</source>
      <translation>未添加：所选要素已是资源（{ids}）；请选择尚未列入资源清单的要素。</translation>
    </message>
    <message>
      <source>Range</source>
      <translation>取值范围</translation>
    </message>
    <message>
      <source>Must name a value of</source>
      <translation>须为以下字段中已有的值：</translation>
    </message>
    <message>
      <source>Not saved, the cell keeps its value: {error}</source>
      <translation>未保存，单元格保持原值：{error}</translation>
    </message>
    <message>
      <source>loading standards and mapping</source>
      <translation>读取标准与字段映射</translation>
    </message>
    <message>
      <source>reading and validating the input</source>
      <translation>读取并校验输入数据</translation>
    </message>
    <message>
      <source>validation finished</source>
      <translation>校验完成</translation>
    </message>
    <message>
      <source>population</source>
      <translation>人口</translation>
    </message>
    <message>
      <source>walking network</source>
      <translation>步行路网</translation>
    </message>
    <message>
      <source>roads</source>
      <translation>道路</translation>
    </message>
    <message>
      <source>green</source>
      <translation>绿地</translation>
    </message>
    <message>
      <source>facilities</source>
      <translation>公共服务设施</translation>
    </message>
    <message>
      <source>life circles (walking network)</source>
      <translation>生活圈（步行路网）</translation>
    </message>
    <message>
      <source>buildings</source>
      <translation>建筑</translation>
    </message>
    <message>
      <source>whole area</source>
      <translation>全域</translation>
    </message>
    <message>
      <source>health check finished</source>
      <translation>体检评估完成</translation>
    </message>
    <message>
      <source>demands and visions</source>
      <translation>需求与愿景</translation>
    </message>
    <message>
      <source>strategies and policies</source>
      <translation>策略与政策</translation>
    </message>
    <message>
      <source>tasks and projects</source>
      <translation>任务与项目</translation>
    </message>
    <message>
      <source>writing the workbook</source>
      <translation>写入工作簿</translation>
    </message>
    <message>
      <source>done</source>
      <translation>完成</translation>
    </message>
    <message>
      <source>reading OSM</source>
      <translation>读取 OSM 数据</translation>
    </message>
    <message>
      <source>clipping to the extract's box</source>
      <translation>按数据范围裁剪</translation>
    </message>
    <message>
      <source>mapping tags to the data model</source>
      <translation>将标签映射到数据模型</translation>
    </message>
    <message>
      <source>reprojecting</source>
      <translation>坐标转换</translation>
    </message>
    <message>
      <source>building the model layers</source>
      <translation>生成模型图层</translation>
    </message>
    <message>
      <source>blocks</source>
      <translation>街区</translation>
    </message>
    <message>
      <source>atlas written</source>
      <translation>图集已写出</translation>
    </message>
    <message>
      <source>atlas page {n}</source>
      <translation>图集第 {n} 页</translation>
    </message>
    <message>
      <source>{parameter}: using {path}, found next to the input {source}.</source>
      <translation>{parameter}：使用在输入数据旁找到的 {path}（输入：{source}）。</translation>
    </message>
    <message>
      <source>All four steps (四步走): problems, resources, demands and visions from the resident surveys, strategies, policies, tasks and projects (八清单), plus eight_lists.xlsx. Without a survey parameter the survey next to the input layers' file is used (demand_survey.xlsx|csv, vision_survey.xlsx|csv, as blockcheck run does); when there is none, that list stays empty and the log and the summary say so. Rows analysts edited or added and the project history are kept when you run again into the same folder.</source>
      <translation>完整四步走：问题、资源，依据居民调查的需求与愿景，策略、政策、任务和项目（八清单），并输出 eight_lists.xlsx。未指定调查表参数时，使用输入图层文件旁的调查表（demand_survey.xlsx|csv、vision_survey.xlsx|csv，与 blockcheck run 相同）；若没有，该清单为空，日志和摘要中会给出提示。再次输出到同一文件夹时，保留分析人员编辑或新增的行以及项目变更记录。</translation>
    </message>
    <message>
      <source>{parameter}: no survey was given and none of {files} is next to the input ({folders}), so the {title} is empty. Choose the survey file in this parameter, or put it next to the input layers' file under one of these names, and run again.</source>
      <translation>{parameter}：未指定调查表，输入数据旁（{folders}）也没有 {files}，因此{title}为空。请在此参数中选择调查表文件，或以上述文件名之一将其放在输入图层文件旁，然后重新运行。</translation>
    </message>
    <message>
      <source>There is no saved PostgreSQL connection named {name} (add it in Data Source Manager ▸ PostgreSQL).</source>
      <translation>没有名为 {name} 的已保存 PostgreSQL 连接（请在“数据源管理器 ▸ PostgreSQL”中添加）。</translation>
    </message>
    <message>
      <source>{schema} is not a workbook schema name (lower-case letters, digits and _).</source>
      <translation>{schema} 不是工作簿模式名（只能由小写字母、数字和 _ 组成）。</translation>
    </message>
    <message>
      <source>the database refused the change</source>
      <translation>数据库拒绝了此修改</translation>
    </message>
    <message>
      <source>the database refused the new rows</source>
      <translation>数据库拒绝了新增的行</translation>
    </message>
    <message>
      <source>No saved PostgreSQL connection: add one in Data Source Manager ▸ PostgreSQL.</source>
      <translation>没有已保存的 PostgreSQL 连接：请在“数据源管理器 ▸ PostgreSQL”中添加。</translation>
    </message>
    <message>
      <source>Open a team workbook (PostGIS)</source>
      <translation>打开团队工作簿（PostGIS）</translation>
    </message>
    <message>
      <source>Saved PostgreSQL connection:</source>
      <translation>已保存的 PostgreSQL 连接：</translation>
    </message>
    <message>
      <source>Schema of the workbook:</source>
      <translation>工作簿所在模式：</translation>
    </message>
    <message>
      <source>Open from a PostgreSQL connection…</source>
      <translation>从 PostgreSQL 连接打开…</translation>
    </message>
    <message>
      <source>Or a team workbook (PostGIS): saved PostgreSQL connection</source>
      <translation>或团队工作簿（PostGIS）：已保存的 PostgreSQL 连接</translation>
    </message>
    <message>
      <source>Team workbook: schema</source>
      <translation>团队工作簿：模式</translation>
    </message>
    <message>
      <source>Choose one workbook: a workbook.gpkg, or a saved PostgreSQL connection and the schema of a team workbook.</source>
      <translation>请选择一个工作簿：workbook.gpkg，或已保存的 PostgreSQL 连接与团队工作簿所在的模式。</translation>
    </message>
  </context>
</TS>
